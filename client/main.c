/* sluice: the command-line client of a sluice gateway (client/cli.h). */
#include "client/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
