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

complete -c promptpack -n "__fish_promptpack_needs_command" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
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
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "init" -d 'Create a `promptpack.toml` in the current folder'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "add" -d 'Add a pack to the project, then resolve, install and lock it'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "remove" -d 'Remove a pack from the project and uninstall it'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "install" -d 'Install exactly what `promptpack.lock` pins (resolving only what it lacks)'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "upgrade" -d 'Move packs to the newest versions their requirements allow'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "list" -d 'List the project\'s installed packs'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "outdated" -d 'Show locked, newest compatible and newest versions of the project\'s packs'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "publish" -d 'Publish a pack to a registry (after `check` and its snapshot tests pass)'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "yank" -d 'Mark a published version as yanked (or undo it with `--undo`)'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "search" -d 'List a registry\'s packs and their newest versions'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "diff" -d 'Show what changes between two versions of a pack: contract and rendered text per role'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "bump" -d 'Bump the version in pack.toml (`auto`: the smallest bump its changes allow)'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "registry" -d 'Manage registries'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c promptpack -n "__fish_promptpack_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s t -l template -d 'The template to render; may be left out when the pack has one' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l var -d 'A variable: `KEY=VALUE`, or `KEY=@FILE` to read the value from a file' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l vars -d 'Variables from a JSON or TOML file (an object/table)' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s f -l fixture -d 'Start from a fixture\'s variables (a role declared in pack.toml)' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s o -l output -d 'Write the rendered text to FILE (atomically) instead of stdout' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l batch -d 'Render once per line of a JSONL file (`-` for stdin): each line is an object of variables laid over `--fixture`, `--vars` and `--var`. Rows stream through; output keeps their order' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s j -l jobs -d 'With `--batch`: threads rendering rows (default: all cores)' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l format -d 'With `--batch`: `jsonl` writes `{"row": N, "text": ...}` (or `{"row": N, "error": ..., "line": N}`) per row; `text` writes each row\'s text followed by `--separator`' -r -f -a "jsonl\t'One JSON object per line, per row'
text\t'Each row\'s rendered text, then the separator'"
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l separator -d 'With `--format text`: written after each row\'s text (a failed row\'s text is empty). `\\n`, `\\t`, `\\0` and `\\\\` are understood' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l strict -d 'A variable the pack does not declare is an error (exit 1, or the row\'s error with `--batch`) instead of a warning'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -l fail-fast -d 'With `--batch`: stop at the first row that fails'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c promptpack -n "__fish_promptpack_using_subcommand render" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -l json -d 'Print findings as JSON on stdout'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand check" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -l format -d '`markdown`: print a Markdown report of the changed snapshots on stdout (for a pull request comment or a CI job summary)' -r -f -a "markdown\t'GitHub-flavoured Markdown'"
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -l html -d 'Also write a self-contained HTML report of the changed snapshots to FILE' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -l snapshots -d 'The folder of snapshot files' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -l json -d 'Print results as JSON on stdout'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c promptpack -n "__fish_promptpack_using_subcommand test" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -l html -d 'Write a self-contained HTML report of the pending snapshots to FILE and decide nothing' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -l snapshots -d 'The folder of snapshot files' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -l accept -d 'Accept every pending snapshot without asking'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -l reject -d 'Reject every pending snapshot without asking'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand review" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -l engine -d 'The template language' -r -f -a "jinja\t''
handlebars\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -l path -d 'Where to create the pack; `packs/<NAME>` when `./packs` exists, else `<NAME>`' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -l snapshots -d 'The folder of snapshot files, where the new pack\'s first snapshots go' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand new" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand init" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand init" -l registry -d 'The URL or path of the default registry' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand init" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand init" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand init" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand init" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -l registry -d 'A registry name from promptpack.toml, or a registry URL/path' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -l git -d 'A git repository whose tags are the pack\'s versions' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -l tag -d 'With `--git`: a tag to pin' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -l branch -d 'With `--git`: a branch to follow (the lock pins its commit)' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -l rev -d 'With `--git`: a commit' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -l path -d 'With `--git`: the subfolder holding the pack. Without: a local pack folder' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -l offline -d 'Never touch the network: use the cache or fail naming what is missing'
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand add" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand remove" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand remove" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand remove" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand remove" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand remove" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand install" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand install" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand install" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand install" -l locked -d 'Fail if promptpack.lock would change'
complete -c promptpack -n "__fish_promptpack_using_subcommand install" -l frozen -d '`--locked` and `--offline` together'
complete -c promptpack -n "__fish_promptpack_using_subcommand install" -l force -d 'Overwrite installed files that were edited by hand'
complete -c promptpack -n "__fish_promptpack_using_subcommand install" -l offline -d 'Never touch the network: use the cache or fail naming what is missing'
complete -c promptpack -n "__fish_promptpack_using_subcommand install" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand install" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand upgrade" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand upgrade" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand upgrade" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand upgrade" -l dry-run -d 'Show what would change without changing anything'
complete -c promptpack -n "__fish_promptpack_using_subcommand upgrade" -l review -d 'Show the rendered diff per role of every pack that would move, then ask (on a terminal) or apply with `--yes`; otherwise change nothing'
complete -c promptpack -n "__fish_promptpack_using_subcommand upgrade" -l yes -d 'Apply without asking (with or without `--review`)'
complete -c promptpack -n "__fish_promptpack_using_subcommand upgrade" -l offline -d 'Never touch the network: use the cache or fail naming what is missing'
complete -c promptpack -n "__fish_promptpack_using_subcommand upgrade" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand upgrade" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand list" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand list" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand list" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand list" -l json -d 'Print as JSON on stdout'
complete -c promptpack -n "__fish_promptpack_using_subcommand list" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand list" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand outdated" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand outdated" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand outdated" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand outdated" -l json -d 'Print as JSON on stdout'
complete -c promptpack -n "__fish_promptpack_using_subcommand outdated" -l all -d 'List every pack, not only those that can move'
complete -c promptpack -n "__fish_promptpack_using_subcommand outdated" -l exit-code -d 'Exit with 1 when any pack is outdated or its locked version yanked (0 otherwise)'
complete -c promptpack -n "__fish_promptpack_using_subcommand outdated" -l offline -d 'Never touch the network: use the cache or fail naming what is missing'
complete -c promptpack -n "__fish_promptpack_using_subcommand outdated" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand outdated" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand publish" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand publish" -l registry -d 'The registry: a URL or folder, or a registry name from promptpack.toml; by default `PROMPTPACK_REGISTRY`, else the project\'s default registry' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand publish" -l snapshots -d 'The folder of snapshot files the pack\'s tests compare with' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand publish" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand publish" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand publish" -l dry-run -d 'Show what would be published without publishing'
complete -c promptpack -n "__fish_promptpack_using_subcommand publish" -l allow-semver-violation -d 'Publish even if the version bump is smaller than the changes require'
complete -c promptpack -n "__fish_promptpack_using_subcommand publish" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand publish" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand yank" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand yank" -l registry -d 'The registry: a URL or folder, or a registry name from promptpack.toml; by default `PROMPTPACK_REGISTRY`, else the project\'s default registry' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand yank" -l reason -d 'Why the version is yanked; shown to everyone who still installs it' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand yank" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand yank" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand yank" -l undo -d 'Un-yank the version'
complete -c promptpack -n "__fish_promptpack_using_subcommand yank" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand yank" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand search" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand search" -l registry -d 'The registry: a URL or folder, or a registry name from promptpack.toml; by default `PROMPTPACK_REGISTRY`, else the project\'s default registry' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand search" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand search" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand search" -l json -d 'Print as JSON on stdout'
complete -c promptpack -n "__fish_promptpack_using_subcommand search" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand search" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l fixture -d 'Only this fixture (role)' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l template -d 'Only this template' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l format -d '`markdown`: print a GitHub-flavoured Markdown report instead (for a pull request comment or a CI job summary)' -r -f -a "markdown\t'GitHub-flavoured Markdown'"
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l html -d 'Also write a self-contained HTML review report to FILE' -r -F
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l registry -d 'The registry for `NAME@VERSION` (a URL/path or a registry name from promptpack.toml)' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l json -d 'Print the comparison as JSON on stdout'
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l stat -d 'Print a summary: lines added and removed per changed (template, fixture)'
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l exit-code -d 'Exit with 1 when the contract or any rendered text changed, 0 when nothing did (as `git diff --exit-code`)'
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -l offline -d 'Never touch the network: use the cache or fail naming what is missing'
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c promptpack -n "__fish_promptpack_using_subcommand diff" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand bump" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand bump" -l registry -d 'The registry `auto` compares with (a URL/path or a registry name from promptpack.toml)' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand bump" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand bump" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand bump" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand bump" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and not __fish_seen_subcommand_from init export help" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and not __fish_seen_subcommand_from init export help" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and not __fish_seen_subcommand_from init export help" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and not __fish_seen_subcommand_from init export help" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and not __fish_seen_subcommand_from init export help" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and not __fish_seen_subcommand_from init export help" -f -a "init" -d 'Create an empty registry: a bare git repository with registry.toml'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and not __fish_seen_subcommand_from init export help" -f -a "export" -d 'Write a static copy of a git registry that any web server or CDN can serve to `sparse+https://` clients: config.json, the index files, one archive per version. Rewrites only what changed'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and not __fish_seen_subcommand_from init export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from init" -l name -d 'The registry\'s name; the folder name by default' -r
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from init" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from export" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from help" -f -a "init" -d 'Create an empty registry: a bare git repository with registry.toml'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write a static copy of a git registry that any web server or CDN can serve to `sparse+https://` clients: config.json, the index files, one archive per version. Rewrites only what changed'
complete -c promptpack -n "__fish_promptpack_using_subcommand registry; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -l color -d 'When to use colors (`NO_COLOR` is honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -s q -l quiet -d 'Print only errors'
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -s v -l verbose -d 'Print more detail (e.g. every matching snapshot)'
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -s h -l help -d 'Print help'
complete -c promptpack -n "__fish_promptpack_using_subcommand completions" -s V -l version -d 'Print version'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "render" -d 'Render a template of a pack and write exactly the rendered bytes'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "check" -d 'Check packs: manifest, templates, variables, fixtures and the rendered Markdown'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "test" -d 'Compare every (template, fixture) rendering with its snapshot in `snapshots/`'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "review" -d 'Review pending snapshots (`.snap.new`): show each diff, then accept or reject it'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "new" -d 'Create a new pack that passes `check` and `test`'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "init" -d 'Create a `promptpack.toml` in the current folder'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "add" -d 'Add a pack to the project, then resolve, install and lock it'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "remove" -d 'Remove a pack from the project and uninstall it'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "install" -d 'Install exactly what `promptpack.lock` pins (resolving only what it lacks)'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "upgrade" -d 'Move packs to the newest versions their requirements allow'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "list" -d 'List the project\'s installed packs'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "outdated" -d 'Show locked, newest compatible and newest versions of the project\'s packs'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "publish" -d 'Publish a pack to a registry (after `check` and its snapshot tests pass)'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "yank" -d 'Mark a published version as yanked (or undo it with `--undo`)'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "search" -d 'List a registry\'s packs and their newest versions'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "diff" -d 'Show what changes between two versions of a pack: contract and rendered text per role'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "bump" -d 'Bump the version in pack.toml (`auto`: the smallest bump its changes allow)'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "registry" -d 'Manage registries'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "completions" -d 'Print shell completions'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and not __fish_seen_subcommand_from render check test review new init add remove install upgrade list outdated publish yank search diff bump registry completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and __fish_seen_subcommand_from registry" -f -a "init" -d 'Create an empty registry: a bare git repository with registry.toml'
complete -c promptpack -n "__fish_promptpack_using_subcommand help; and __fish_seen_subcommand_from registry" -f -a "export" -d 'Write a static copy of a git registry that any web server or CDN can serve to `sparse+https://` clients: config.json, the index files, one archive per version. Rewrites only what changed'
