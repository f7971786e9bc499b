import FTACommand
import Logging

CommandRunner.main(FtaReplay.self) { format, level in
    LoggingSystem.bootstrap { FTALogHandler(label: $0, format: format, level: level) }
}
