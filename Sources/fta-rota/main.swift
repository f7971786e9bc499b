import Foundation

// fta-rota lands with its own issue; until then it says so and exits with the usage code.
fputs("fta-rota: not implemented yet in this version of fta\n", stderr)
exit(2)
