
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
            cand --color 'When to use colors (NO_COLOR is honoured with `auto`)'
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
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'promptpack;render'= {
            cand -t 'The template to render; may be left out when the pack has one'
            cand --template 'The template to render; may be left out when the pack has one'
            cand --var 'A variable: `KEY=VALUE`, or `KEY=@FILE` to read the value from a file'
            cand --vars 'Variables from a JSON or TOML file (an object/table)'
            cand -f 'Start from a fixture''s variables (a role declared in pack.toml)'
            cand --fixture 'Start from a fixture''s variables (a role declared in pack.toml)'
            cand -o 'Write the rendered text to FILE (atomically) instead of stdout'
            cand --output 'Write the rendered text to FILE (atomically) instead of stdout'
            cand --color 'When to use colors (NO_COLOR is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;check'= {
            cand --color 'When to use colors (NO_COLOR is honoured with `auto`)'
            cand --json 'Print findings as JSON on stdout'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;test'= {
            cand --snapshots 'The folder of snapshot files'
            cand --color 'When to use colors (NO_COLOR is honoured with `auto`)'
            cand --json 'Print results as JSON on stdout'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;review'= {
            cand --snapshots 'The folder of snapshot files'
            cand --color 'When to use colors (NO_COLOR is honoured with `auto`)'
            cand --accept 'Accept every pending snapshot without asking'
            cand --reject 'Reject every pending snapshot without asking'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;new'= {
            cand --engine 'The template language'
            cand --path 'Where to create the pack; `packs/<NAME>` when `./packs` exists, else `<NAME>`'
            cand --snapshots 'The folder of snapshot files, where the new pack''s first snapshots go'
            cand --color 'When to use colors (NO_COLOR is honoured with `auto`)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'Print more detail (e.g. every matching snapshot)'
            cand --verbose 'Print more detail (e.g. every matching snapshot)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'promptpack;completions'= {
            cand --color 'When to use colors (NO_COLOR is honoured with `auto`)'
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
        &'promptpack;help;completions'= {
        }
        &'promptpack;help;help'= {
        }
    ]
    $completions[$command]
}
