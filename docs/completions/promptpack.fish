# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_promptpack_global_optspecs
    string join \n q/quiet v/verbose color= h/help V/version
end

function __fish_promptpack_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_promptpack_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_promptpack_using_subcommand
    set -l cmd (__fish_promptpack_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c promptpack -n "__fish_promptpack_needs_command" -l color -d 'When to use colors (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_needs_command" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_needs_command" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_needs_command" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_needs_command" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "render" -d 'Render a template of a pack and write exactly the rendered bytes'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "check" -d 'Check packs: manifest, templates, variables, fixtures and the rendered Markdown'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "test" -d 'Compare every (template, fixture) rendering with its snapshot in `snapshots/`'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "review" -d 'Review pending snapshots (`.snap.new`): show each diff, then accept or reject it'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "new" -d 'Create a new pack that passes `check` and `test`'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s t -l template -d 'The template to render; may be left out when the pack has one' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l var -d 'A variable: `KEY=VALUE`, or `KEY=@FILE` to read the value from a file' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l vars -d 'Variables from a JSON or TOML file (an object/table)' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s f -l fixture -d 'Start from a fixture\'s variables (a role declared in pack.toml)' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s o -l output -d 'Write the rendered text to FILE (atomically) instead of stdout' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l color -d 'When to use colors (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -l color -d 'When to use colors (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -l json -d 'Print findings as JSON on stdout'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -l snapshots -d 'The folder of snapshot files' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -l color -d 'When to use colors (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -l json -d 'Print results as JSON on stdout'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -l snapshots -d 'The folder of snapshot files' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -l color -d 'When to use colors (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -l accept -d 'Accept every pending snapshot without asking'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -l reject -d 'Reject every pending snapshot without asking'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -l engine -d 'The template language' -r -f -a "jinja\t''
handlebars\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -l path -d 'Where to create the pack; `packs/<NAME>` when `./packs` exists, else `<NAME>`' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -l snapshots -d 'The folder of snapshot files, where the new pack\'s first snapshots go' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -l color -d 'When to use colors (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -l color -d 'When to use colors (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new completions help" -f -a "render" -d 'Render a template of a pack and write exactly the rendered bytes'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new completions help" -f -a "check" -d 'Check packs: manifest, templates, variables, fixtures and the rendered Markdown'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new completions help" -f -a "test" -d 'Compare every (template, fixture) rendering with its snapshot in `snapshots/`'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new completions help" -f -a "review" -d 'Review pending snapshots (`.snap.new`): show each diff, then accept or reject it'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new completions help" -f -a "new" -d 'Create a new pack that passes `check` and `test`'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new completions help" -f -a "completions" -d 'Print shell completions'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
