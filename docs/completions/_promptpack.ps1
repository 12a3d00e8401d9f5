
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'promptpack' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'promptpack'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'promptpack' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Render a template of a pack and write exactly the rendered bytes')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check packs: manifest, templates, variables, fixtures and the rendered Markdown')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Compare every (template, fixture) rendering with its snapshot in `snapshots/`')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Review pending snapshots (`.snap.new`): show each diff, then accept or reject it')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new pack that passes `check` and `test`')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a `promptpack.toml` in the current folder')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a pack to the project, then resolve, install and lock it')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a pack from the project and uninstall it')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install exactly what `promptpack.lock` pins (resolving only what it lacks)')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Move packs to the newest versions their requirements allow')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the project''s installed packs')
            [CompletionResult]::new('outdated', 'outdated', [CompletionResultType]::ParameterValue, 'Show locked, newest compatible and newest versions of the project''s packs')
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Publish a pack to a registry (after `check` and its snapshot tests pass)')
            [CompletionResult]::new('yank', 'yank', [CompletionResultType]::ParameterValue, 'Mark a published version as yanked (or undo it with `--undo`)')
            [CompletionResult]::new('search', 'search', [CompletionResultType]::ParameterValue, 'List a registry''s packs and their newest versions')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what changes between two versions of a pack: contract and rendered text per role')
            [CompletionResult]::new('bump', 'bump', [CompletionResultType]::ParameterValue, 'Bump the version in pack.toml (`auto`: the smallest bump its changes allow)')
            [CompletionResult]::new('registry', 'registry', [CompletionResultType]::ParameterValue, 'Manage registries')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'promptpack;render' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The template to render; may be left out when the pack has one')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'The template to render; may be left out when the pack has one')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'A variable: `KEY=VALUE`, or `KEY=@FILE` to read the value from a file')
            [CompletionResult]::new('--vars', '--vars', [CompletionResultType]::ParameterName, 'Variables from a JSON or TOML file (an object/table)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Start from a fixture''s variables (a role declared in pack.toml)')
            [CompletionResult]::new('--fixture', '--fixture', [CompletionResultType]::ParameterName, 'Start from a fixture''s variables (a role declared in pack.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the rendered text to FILE (atomically) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the rendered text to FILE (atomically) instead of stdout')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Render once per line of a JSONL file (`-` for stdin): each line is an object of variables laid over `--fixture`, `--vars` and `--var`. Rows stream through; output keeps their order')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'With `--batch`: threads rendering rows (default: all cores)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'With `--batch`: threads rendering rows (default: all cores)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'With `--batch`: `jsonl` writes `{"row": N, "text": ...}` (or `{"row": N, "error": ..., "line": N}`) per row; `text` writes each row''s text followed by `--separator`')
            [CompletionResult]::new('--separator', '--separator', [CompletionResultType]::ParameterName, 'With `--format text`: written after each row''s text (a failed row''s text is empty). `\n`, `\t`, `\0` and `\\` are understood')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'A variable the pack does not declare is an error (exit 1, or the row''s error with `--batch`) instead of a warning')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'With `--batch`: stop at the first row that fails')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;check' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print findings as JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;test' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, '`markdown`: print a Markdown report of the changed snapshots on stdout (for a pull request comment or a CI job summary)')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Also write a self-contained HTML report of the changed snapshots to FILE')
            [CompletionResult]::new('--snapshots', '--snapshots', [CompletionResultType]::ParameterName, 'The folder of snapshot files')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;review' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Write a self-contained HTML report of the pending snapshots to FILE and decide nothing')
            [CompletionResult]::new('--snapshots', '--snapshots', [CompletionResultType]::ParameterName, 'The folder of snapshot files')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--accept', '--accept', [CompletionResultType]::ParameterName, 'Accept every pending snapshot without asking')
            [CompletionResult]::new('--reject', '--reject', [CompletionResultType]::ParameterName, 'Reject every pending snapshot without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;new' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'The template language')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Where to create the pack; `packs/<NAME>` when `./packs` exists, else `<NAME>`')
            [CompletionResult]::new('--snapshots', '--snapshots', [CompletionResultType]::ParameterName, 'The folder of snapshot files, where the new pack''s first snapshots go')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;init' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'The URL or path of the default registry')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;add' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'A registry name from promptpack.toml, or a registry URL/path')
            [CompletionResult]::new('--git', '--git', [CompletionResultType]::ParameterName, 'A git repository whose tags are the pack''s versions')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'With `--git`: a tag to pin')
            [CompletionResult]::new('--branch', '--branch', [CompletionResultType]::ParameterName, 'With `--git`: a branch to follow (the lock pins its commit)')
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'With `--git`: a commit')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'With `--git`: the subfolder holding the pack. Without: a local pack folder')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network: use the cache or fail naming what is missing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;remove' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;install' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--locked', '--locked', [CompletionResultType]::ParameterName, 'Fail if promptpack.lock would change')
            [CompletionResult]::new('--frozen', '--frozen', [CompletionResultType]::ParameterName, '`--locked` and `--offline` together')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite installed files that were edited by hand')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network: use the cache or fail naming what is missing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;upgrade' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change without changing anything')
            [CompletionResult]::new('--review', '--review', [CompletionResultType]::ParameterName, 'Show the rendered diff per role of every pack that would move, then ask (on a terminal) or apply with `--yes`; otherwise change nothing')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Apply without asking (with or without `--review`)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network: use the cache or fail naming what is missing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;list' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print as JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;outdated' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print as JSON on stdout')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'List every pack, not only those that can move')
            [CompletionResult]::new('--exit-code', '--exit-code', [CompletionResultType]::ParameterName, 'Exit with 1 when any pack is outdated or its locked version yanked (0 otherwise)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network: use the cache or fail naming what is missing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;publish' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'The registry: a URL or folder, or a registry name from promptpack.toml; by default `PROMPTPACK_REGISTRY`, else the project''s default registry')
            [CompletionResult]::new('--snapshots', '--snapshots', [CompletionResultType]::ParameterName, 'The folder of snapshot files the pack''s tests compare with')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be published without publishing')
            [CompletionResult]::new('--allow-semver-violation', '--allow-semver-violation', [CompletionResultType]::ParameterName, 'Publish even if the version bump is smaller than the changes require')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;yank' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'The registry: a URL or folder, or a registry name from promptpack.toml; by default `PROMPTPACK_REGISTRY`, else the project''s default registry')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the version is yanked; shown to everyone who still installs it')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--undo', '--undo', [CompletionResultType]::ParameterName, 'Un-yank the version')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;search' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'The registry: a URL or folder, or a registry name from promptpack.toml; by default `PROMPTPACK_REGISTRY`, else the project''s default registry')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print as JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;diff' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--fixture', '--fixture', [CompletionResultType]::ParameterName, 'Only this fixture (role)')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Only this template')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, '`markdown`: print a GitHub-flavoured Markdown report instead (for a pull request comment or a CI job summary)')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Also write a self-contained HTML review report to FILE')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'The registry for `NAME@VERSION` (a URL/path or a registry name from promptpack.toml)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the comparison as JSON on stdout')
            [CompletionResult]::new('--stat', '--stat', [CompletionResultType]::ParameterName, 'Print a summary: lines added and removed per changed (template, fixture)')
            [CompletionResult]::new('--exit-code', '--exit-code', [CompletionResultType]::ParameterName, 'Exit with 1 when the contract or any rendered text changed, 0 when nothing did (as `git diff --exit-code`)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network: use the cache or fail naming what is missing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;bump' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'The registry `auto` compares with (a URL/path or a registry name from promptpack.toml)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;registry' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create an empty registry: a bare git repository with registry.toml')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a static copy of a git registry that any web server or CDN can serve to `sparse+https://` clients: config.json, the index files, one archive per version. Rewrites only what changed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'promptpack;registry;init' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The registry''s name; the folder name by default')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;registry;export' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;registry;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create an empty registry: a bare git repository with registry.toml')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a static copy of a git registry that any web server or CDN can serve to `sparse+https://` clients: config.json, the index files, one archive per version. Rewrites only what changed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'promptpack;registry;help;init' {
            break
        }
        'promptpack;registry;help;export' {
            break
        }
        'promptpack;registry;help;help' {
            break
        }
        'promptpack;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured with `auto`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (e.g. every matching snapshot)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'promptpack;help' {
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Render a template of a pack and write exactly the rendered bytes')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check packs: manifest, templates, variables, fixtures and the rendered Markdown')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Compare every (template, fixture) rendering with its snapshot in `snapshots/`')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Review pending snapshots (`.snap.new`): show each diff, then accept or reject it')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new pack that passes `check` and `test`')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a `promptpack.toml` in the current folder')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a pack to the project, then resolve, install and lock it')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a pack from the project and uninstall it')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install exactly what `promptpack.lock` pins (resolving only what it lacks)')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Move packs to the newest versions their requirements allow')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the project''s installed packs')
            [CompletionResult]::new('outdated', 'outdated', [CompletionResultType]::ParameterValue, 'Show locked, newest compatible and newest versions of the project''s packs')
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Publish a pack to a registry (after `check` and its snapshot tests pass)')
            [CompletionResult]::new('yank', 'yank', [CompletionResultType]::ParameterValue, 'Mark a published version as yanked (or undo it with `--undo`)')
            [CompletionResult]::new('search', 'search', [CompletionResultType]::ParameterValue, 'List a registry''s packs and their newest versions')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what changes between two versions of a pack: contract and rendered text per role')
            [CompletionResult]::new('bump', 'bump', [CompletionResultType]::ParameterValue, 'Bump the version in pack.toml (`auto`: the smallest bump its changes allow)')
            [CompletionResult]::new('registry', 'registry', [CompletionResultType]::ParameterValue, 'Manage registries')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'promptpack;help;render' {
            break
        }
        'promptpack;help;check' {
            break
        }
        'promptpack;help;test' {
            break
        }
        'promptpack;help;review' {
            break
        }
        'promptpack;help;new' {
            break
        }
        'promptpack;help;init' {
            break
        }
        'promptpack;help;add' {
            break
        }
        'promptpack;help;remove' {
            break
        }
        'promptpack;help;install' {
            break
        }
        'promptpack;help;upgrade' {
            break
        }
        'promptpack;help;list' {
            break
        }
        'promptpack;help;outdated' {
            break
        }
        'promptpack;help;publish' {
            break
        }
        'promptpack;help;yank' {
            break
        }
        'promptpack;help;search' {
            break
        }
        'promptpack;help;diff' {
            break
        }
        'promptpack;help;bump' {
            break
        }
        'promptpack;help;registry' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create an empty registry: a bare git repository with registry.toml')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a static copy of a git registry that any web server or CDN can serve to `sparse+https://` clients: config.json, the index files, one archive per version. Rewrites only what changed')
            break
        }
        'promptpack;help;registry;init' {
            break
        }
        'promptpack;help;registry;export' {
            break
        }
        'promptpack;help;completions' {
            break
        }
        'promptpack;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
