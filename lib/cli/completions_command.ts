// `kept completions bash|zsh|fish` prints a completion script; the script asks the hidden
// `kept __complete -- WORDS...` what to offer, so commands, options, and the plan and destination names of
// the config complete without the script knowing any of them.

import { Argument } from "@commander-js/extra-typings";
import { loadConfig, resolveConfigPath } from "../plan/mod.ts";
import type { Config } from "../plan/mod.ts";
import { complete, type ConfigNames } from "./_complete.ts";
import type { CommandKit, Program } from "./_command_kit.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = typeof SHELLS[number];

/** Registers `kept completions` and the hidden `kept __complete` on `program`. */
export function completionsCommand(program: Program, kit: CommandKit): void {
  program.command("completions")
    .description("print a shell completion script (commands, options, plan and destination names)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS))
    .addHelpText(
      "after",
      "\nbash: kept completions bash > /etc/bash_completion.d/kept (or source <(kept completions bash))\n" +
        "zsh:  kept completions zsh > ~/.zfunc/_kept, with ~/.zfunc in fpath before compinit\n" +
        "fish: kept completions fish > ~/.config/fish/completions/kept.fish",
    )
    .action((shell) => kit.output.out(SCRIPTS[shell as Shell]));

  program.command("__complete", { hidden: true })
    .description("print the completions of a command line (used by the completion scripts)")
    .argument("[words...]", "the words after `kept`; the last is the one being completed")
    .helpOption(false)
    .action(async (words) => {
      for (const candidate of await complete(program, words, configNames(kit))) {
        kit.output.out(`${candidate}\n`);
      }
    });
}

/** The plan and destination names of the config named on the line, else of the default one. */
function configNames(kit: CommandKit): ConfigNames {
  const loaded = new Map<string, Promise<Config | undefined>>();
  const configOf = (flag: string | undefined) => {
    const key = flag ?? "";
    if (!loaded.has(key)) loaded.set(key, quietlyLoad(kit, flag));
    return loaded.get(key)!;
  };
  return {
    plans: async (flag) => [...(await configOf(flag))?.plans.keys() ?? []],
    destinations: async (flag) => [...(await configOf(flag))?.destinations.keys() ?? []],
  };
}

/** The config, or undefined when there is none or it has errors: a completion never prints an error. */
async function quietlyLoad(kit: CommandKit, flag: string | undefined): Promise<Config | undefined> {
  try {
    const path = resolveConfigPath({ flag, env: kit.context.env, cwd: kit.context.cwd });
    return (await loadConfig([path], { env: kit.context.env })).config;
  } catch {
    return undefined;
  }
}

const BASH = `# kept completion for bash: source it, or save it as /etc/bash_completion.d/kept
_kept() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  local candidates
  candidates=($(kept __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  # After --config= bash makes "=" a word of its own: the file name starts after it.
  [[ $cur == = ]] && cur=
  case "\${candidates[0]}" in
    :files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    :dirs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    *) COMPREPLY=("\${candidates[@]}") ;;
  esac
}
complete -F _kept kept
`;

const ZSH = `#compdef kept
# kept completion for zsh: save it as _kept in a folder of $fpath, or source it after compinit
_kept() {
  local -a candidates
  candidates=("\${(@f)$(kept __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  case "$candidates[1]" in
    :files) _files ;;
    :dirs) _files -/ ;;
    *) compadd -- "\${(@)candidates:#}" ;;
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _kept "$@"
else
  compdef _kept kept
fi
`;

const FISH = `# kept completion for fish: save it as ~/.config/fish/completions/kept.fish
function __kept_complete
    set -l words (commandline -opc)
    set -e words[1]
    # Quoted: an empty word being completed must still reach kept.
    set -l current (commandline -ct)
    set -l candidates (kept __complete -- $words "$current" 2>/dev/null)
    switch "$candidates[1]"
        case :files
            __fish_complete_path "$current"
        case :dirs
            __fish_complete_directories "$current"
        case '*'
            printf '%s\\n' $candidates
    end
end
complete -c kept -f -a '(__kept_complete)'
`;

const SCRIPTS: Record<Shell, string> = { bash: BASH, zsh: ZSH, fish: FISH };
