#!/usr/bin/env bash
# Checks the layering that docs/architecture.md draws, as `make test` runs it:
#  1. each target imports only the modules its layer may use (Package.swift already refuses
#     an import of a target that is not a dependency; this also covers system modules);
#  2. FTACore uses Foundation's value types only: no clock, file system, process, thread,
#     lock, network or logging API;
#  3. SQL appears in the store targets only (FTAStore, FTAPostgres);
#  4. end-to-end tests drive the binaries and read results through the test base: no GRDB and
#     no SQL in their files.
# Prints every violation and exits 1 if there is one.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
report() { echo "layering: $*"; fail=1; }

allowed_imports() {
  case "$1" in
    FTACore) echo "Foundation" ;;
    FTATemplates) echo "Foundation FTACore Stencil" ;;
    FTAConfig) echo "Foundation FTACore FTATemplates Yams" ;;
    FTAStore) echo "Foundation FTACore GRDB GRDBSQLite CSQLiteSetup" ;;
    FTAPostgres) echo "Foundation FTACore CLibPQ" ;;
    FTATransport) echo "Foundation FTACore CCurl Synchronization Dispatch" ;;
    FTAActions) echo "Foundation FTACore FTATemplates FTATransport FTAConfig" ;;
    FTAPasses) echo "Foundation FTACore FTATemplates FTATransport FTAConfig FTAActions Logging Synchronization Dispatch" ;;
    FTACommand) echo "Foundation FTACore FTATemplates FTATransport FTAConfig FTAActions FTAPasses FTAStore FTAPostgres ArgumentParser Logging" ;;
  esac
}

# 1. imports per target
for target in FTACore FTATemplates FTAConfig FTAStore FTAPostgres FTATransport FTAActions FTAPasses FTACommand; do
  allowed=" $(allowed_imports "$target") "
  while IFS=: read -r file line text; do
    module=$(echo "$text" | sed -E 's/^(@testable )?import ([A-Za-z0-9_]+).*/\2/')
    [[ "$allowed" == *" $module "* ]] || report "$file:$line imports $module, which $target may not use"
  done < <(grep -rnE '^(@testable )?import ' "Sources/$target" --include='*.swift')
done

# 2. FTACore: Foundation's value types only
forbidden='Date\(\)|FileManager|ProcessInfo|Dispatch[A-Z][A-Za-z]*|\bThread\b|NSLock|NSCondition|FileHandle|URLSession|NSRegularExpression|DateFormatter|\bProcess\(|\bgetpid\(|\bgettimeofday\(|\busleep\(|\bsleep\(|\bfopen\(|\bopen\(|\bsignal\('
while IFS= read -r hit; do report "FTACore uses a runtime API: $hit"; done \
  < <(grep -rnE "$forbidden" Sources/FTACore --include='*.swift' | grep -vE '^[^:]+:[0-9]+:\s*///?')

# 3. SQL in FTAStore only: string literals that read as statements, and the lines of
#    multi-line literals that start with one
statement='(SELECT [a-z*(]|INSERT (OR [A-Z]+ )?INTO |UPDATE [a-z_]+ SET |DELETE FROM |CREATE (TABLE|INDEX|UNIQUE|TRIGGER)|PRAGMA [a-z_]+)'
sql="(\"[^\"]*\\b$statement|^\\s*$statement)"
while IFS= read -r hit; do report "SQL outside FTAStore: $hit"; done \
  < <(grep -rnE "$sql" Sources --include='*.swift' | grep -vE '^Sources/(FTAStore|FTAPostgres)/' | grep -vE '^[^:]+:[0-9]+:\s*///?')

# 4. end-to-end tests: no GRDB, no SQL
while IFS= read -r hit; do report "end-to-end test reaches into the database: $hit"; done \
  < <(grep -rnE "^import GRDB|$sql" Tests/EndToEndTests --include='*.swift')

if [ "$fail" -eq 0 ]; then echo "layering: ok (imports per layer, a pure core, SQL only in the store targets, end-to-end tests through the binaries)"; fi
exit "$fail"
