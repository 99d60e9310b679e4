/* cordon __options: the command line as data, for tools. The shell
 * completions are generated from this listing and the man page is checked
 * against it (tools/cli_options.py), so neither can drift from the parser.
 * Hidden from --help: it is for scripts, not people.
 *
 * One line per item, fields separated by tabs:
 *   command  WORD
 *   option   run|setup  --NAME  -X|""  PLACEHOLDER|""  CHOICE CHOICE ...|""
 */
#include "cli/cli.h"

#include <stdio.h>

static void print_option(const char *command, const cli_option_info *option)
{
	printf("option\t%s\t--%s\t", command, option->name);
	if (option->short_name != '\0')
		printf("-%c", option->short_name);
	printf("\t%s\t", option->placeholder != NULL ? option->placeholder : "");
	for (size_t i = 0; option->choices != NULL && option->choices[i] != NULL; i++)
		printf("%s%s", i > 0 ? " " : "", option->choices[i]);
	putchar('\n');
}

int cli_print_options(void)
{
	const char *word;
	cli_option_info option;

	for (size_t i = 0; (word = cli_command_word_at(i)) != NULL; i++)
		printf("command\t%s\n", word);
	for (size_t i = 0; cli_run_option_at(i, &option); i++)
		print_option("run", &option);
	for (size_t i = 0; cli_setup_option_at(i, &option); i++)
		print_option("setup", &option);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : CLI_EXIT_CORDON_ERROR;
}
