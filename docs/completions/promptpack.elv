
use builtin;
use str;

set edit:completion:arg-completer[promptpack] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'promptpack'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'promptpack'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand render 'Render a template of a pack and write exactly the rendered bytes'
            cand check 'Check packs: manifest, templates, variables, fixtures and the rendered Markdown'
            cand test 'Compare every (template, fixture) rendering with its snapshot in `snapshots/`'
            cand review 'Review pending snapshots (`.snap.new`): show each diff, then accept or reject it'
            cand new 'Create a new pack that passes `check` and `test`'
            cand init 'Create a `promptpack.toml` in the current folder'
            cand add 'Add a pack to the project, then resolve, install and lock it'
            cand remove 'Remove a pack from the project and uninstall it'
            cand install 'Install exactly what `promptpack.lock` pins (resolving only what it lacks)'
            cand upgrade 'Move packs to the newest versions their requirements allow'
            cand list 'List the project''s installed packs'
            cand outdated 'Show locked, newest compatible and newest versions of the project''s packs'
            cand publish 'Publish a pack to a registry (after `check` and its snapshot tests pass)'
            cand yank 'Mark a published version as yanked (or undo it with `--undo`)'
            cand search 'List a registry''s packs and their newest versions'
            cand diff 'Show what changes between two versions of a pack: contract and rendered text per role'
            cand bump 'Bump the version in pack.toml (`auto`: the smallest bump its changes allow)'
            cand registry 'Manage registries'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'promptpack;render'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -t 'The template to render; may be left out when the pack has one'
            cand --template 'The template to render; may be left out when the pack has one'
            cand --var 'A variable: `KEY=VALUE`, or `KEY=@FILE` to read the value from a file'
            cand --vars 'Variables from a JSON or TOML file (an object/table)'
            cand -f 'Start from a fixture''s variables (a role declared in pack.toml)'
            cand --fixture 'Start from a fixture''s variables (a role declared in pack.toml)'
            cand -o 'Write the rendered text to FILE (atomically) instead of stdout'
            cand --output 'Write the rendered text to FILE (atomically) instead of stdout'
            cand --batch 'Render once per line of a JSONL file (`-` for stdin): each line is an object of variables laid over `--fixture`, `--vars` and `--var`. Rows stream through; output keeps their order'
            cand -j 'With `--batch`: threads rendering rows (default: all cores)'
            cand --jobs 'With `--batch`: threads rendering rows (default: all cores)'
            cand --format 'With `--batch`: `jsonl` writes `{"row": N, "text": ...}` (or `{"row": N, "error": ..., "line": N}`) per row; `text` writes each row''s text followed by `--separator`'
            cand --separator 'With `--format text`: written after each row''s text (a failed row''s text is empty). `\n`, `\t`, `\0` and `\\` are understood'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --strict 'A variable the pack does not declare is an error (exit 1, or the row''s error with `--batch`) instead of a warning'
            cand --fail-fast 'With `--batch`: stop at the first row that fails'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;check'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --json 'Print findings as JSON on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;test'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --format '`markdown`: print a Markdown report of the changed snapshots on stdout (for a pull request comment or a CI job summary)'
            cand --html 'Also write a self-contained HTML report of the changed snapshots to FILE'
            cand --snapshots 'The folder of snapshot files'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --json 'Print results as JSON on stdout'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;review'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --html 'Write a self-contained HTML report of the pending snapshots to FILE and decide nothing'
            cand --snapshots 'The folder of snapshot files'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --accept 'Accept every pending snapshot without asking'
            cand --reject 'Reject every pending snapshot without asking'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;new'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --engine 'The template language'
            cand --path 'Where to create the pack; `packs/<NAME>` when `./packs` exists, else `<NAME>`'
            cand --snapshots 'The folder of snapshot files, where the new pack''s first snapshots go'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;init'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --registry 'The URL or path of the default registry'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;add'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --registry 'A registry name from promptpack.toml, or a registry URL/path'
            cand --git 'A git repository whose tags are the pack''s versions'
            cand --tag 'With `--git`: a tag to pin'
            cand --branch 'With `--git`: a branch to follow (the lock pins its commit)'
            cand --rev 'With `--git`: a commit'
            cand --path 'With `--git`: the subfolder holding the pack. Without: a local pack folder'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --offline 'Never touch the network: use the cache or fail naming what is missing'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;remove'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;install'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --locked 'Fail if promptpack.lock would change'
            cand --frozen '`--locked` and `--offline` together'
            cand --force 'Overwrite installed files that were edited by hand'
            cand --offline 'Never touch the network: use the cache or fail naming what is missing'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;upgrade'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --dry-run 'Show what would change without changing anything'
            cand --review 'Show the rendered diff per role of every pack that would move, then ask (on a terminal) or apply with `--yes`; otherwise change nothing'
            cand --yes 'Apply without asking (with or without `--review`)'
            cand --offline 'Never touch the network: use the cache or fail naming what is missing'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;list'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --json 'Print as JSON on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;outdated'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --json 'Print as JSON on stdout'
            cand --all 'List every pack, not only those that can move'
            cand --exit-code 'Exit with 1 when any pack is outdated or its locked version yanked (0 otherwise)'
            cand --offline 'Never touch the network: use the cache or fail naming what is missing'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;publish'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --registry 'The registry: a URL or folder, or a registry name from promptpack.toml; by default `PROMPTPACK_REGISTRY`, else the project''s default registry'
            cand --snapshots 'The folder of snapshot files the pack''s tests compare with'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --dry-run 'Show what would be published without publishing'
            cand --allow-semver-violation 'Publish even if the version bump is smaller than the changes require'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;yank'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --registry 'The registry: a URL or folder, or a registry name from promptpack.toml; by default `PROMPTPACK_REGISTRY`, else the project''s default registry'
            cand --reason 'Why the version is yanked; shown to everyone who still installs it'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --undo 'Un-yank the version'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;search'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --registry 'The registry: a URL or folder, or a registry name from promptpack.toml; by default `PROMPTPACK_REGISTRY`, else the project''s default registry'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --json 'Print as JSON on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;diff'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --fixture 'Only this fixture (role)'
            cand --template 'Only this template'
            cand --format '`markdown`: print a GitHub-flavoured Markdown report instead (for a pull request comment or a CI job summary)'
            cand --html 'Also write a self-contained HTML review report to FILE'
            cand --registry 'The registry for `NAME@VERSION` (a URL/path or a registry name from promptpack.toml)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand --json 'Print the comparison as JSON on stdout'
            cand --stat 'Print a summary: lines added and removed per changed (template, fixture)'
            cand --exit-code 'Exit with 1 when the contract or any rendered text changed, 0 when nothing did (as `git diff --exit-code`)'
            cand --offline 'Never touch the network: use the cache or fail naming what is missing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;bump'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand --registry 'The registry `auto` compares with (a URL/path or a registry name from promptpack.toml)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;registry'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create an empty registry: a bare git repository with registry.toml'
            cand export 'Write a static copy of a git registry that any web server or CDN can serve to `sparse+https://` clients: config.json, the index files, one archive per version. Rewrites only what changed'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'promptpack;registry;init'= {
            cand --name 'The registry''s name; the folder name by default'
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;registry;export'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;registry;help'= {
            cand init 'Create an empty registry: a bare git repository with registry.toml'
            cand export 'Write a static copy of a git registry that any web server or CDN can serve to `sparse+https://` clients: config.json, the index files, one archive per version. Rewrites only what changed'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'promptpack;registry;help;init'= {
        }
        &'promptpack;registry;help;export'= {
        }
        &'promptpack;registry;help;help'= {
        }
        &'promptpack;completions'= {
            cand --color 'When to use colors (`NO_COLOR` is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;help'= {
            cand render 'Render a template of a pack and write exactly the rendered bytes'
            cand check 'Check packs: manifest, templates, variables, fixtures and the rendered Markdown'
            cand test 'Compare every (template, fixture) rendering with its snapshot in `snapshots/`'
            cand review 'Review pending snapshots (`.snap.new`): show each diff, then accept or reject it'
            cand new 'Create a new pack that passes `check` and `test`'
            cand init 'Create a `promptpack.toml` in the current folder'
            cand add 'Add a pack to the project, then resolve, install and lock it'
            cand remove 'Remove a pack from the project and uninstall it'
            cand install 'Install exactly what `promptpack.lock` pins (resolving only what it lacks)'
            cand upgrade 'Move packs to the newest versions their requirements allow'
            cand list 'List the project''s installed packs'
            cand outdated 'Show locked, newest compatible and newest versions of the project''s packs'
            cand publish 'Publish a pack to a registry (after `check` and its snapshot tests pass)'
            cand yank 'Mark a published version as yanked (or undo it with `--undo`)'
            cand search 'List a registry''s packs and their newest versions'
            cand diff 'Show what changes between two versions of a pack: contract and rendered text per role'
            cand bump 'Bump the version in pack.toml (`auto`: the smallest bump its changes allow)'
            cand registry 'Manage registries'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'promptpack;help;render'= {
        }
        &'promptpack;help;check'= {
        }
        &'promptpack;help;test'= {
        }
        &'promptpack;help;review'= {
        }
        &'promptpack;help;new'= {
        }
        &'promptpack;help;init'= {
        }
        &'promptpack;help;add'= {
        }
        &'promptpack;help;remove'= {
        }
        &'promptpack;help;install'= {
        }
        &'promptpack;help;upgrade'= {
        }
        &'promptpack;help;list'= {
        }
        &'promptpack;help;outdated'= {
        }
        &'promptpack;help;publish'= {
        }
        &'promptpack;help;yank'= {
        }
        &'promptpack;help;search'= {
        }
        &'promptpack;help;diff'= {
        }
        &'promptpack;help;bump'= {
        }
        &'promptpack;help;registry'= {
            cand init 'Create an empty registry: a bare git repository with registry.toml'
            cand export 'Write a static copy of a git registry that any web server or CDN can serve to `sparse+https://` clients: config.json, the index files, one archive per version. Rewrites only what changed'
        }
        &'promptpack;help;registry;init'= {
        }
        &'promptpack;help;registry;export'= {
        }
        &'promptpack;help;completions'= {
        }
        &'promptpack;help;help'= {
        }
    ]
    $completions[$command]
}
