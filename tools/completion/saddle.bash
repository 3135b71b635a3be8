# bash completion for saddle. Everything it offers is read from the saddle
# being completed, so it follows the binary: commands from `saddle --help`,
# each command's options and their values from `saddle CMD --help`, config
# keys (and an enum key's values) after --set from `saddle train --help`.
# Positional arguments complete run directories (those holding config.ini or
# a checkpoint) and the files each command takes.

# The help text of the saddle being completed ($1 as typed), for command $2.
_saddle_help()
{
    local bin=$1
    [[ $bin == "~/"* ]] && bin=$HOME/${bin#"~/"}
    command -v "$bin" >/dev/null 2>&1 || return 1
    if [[ -n $2 ]]; then "$bin" "$2" --help 2>/dev/null; else "$bin" --help 2>/dev/null; fi
}

# One line per option: "OPTION<TAB>ARG<TAB>VALUES". ARG is empty for a
# flag, and an option has as many lines as the help describes it; VALUES are the words the argument may be, when the help names them
# ("--data train|test", "--cmap NAME  viridis, magma, ...", "--dirs hessian").
_saddle_options()
{
    awk '
    function flush() {
        if (opt == "") return
        vals = ""
        if (arg ~ /\|/ && arg !~ /[A-Z ]/) { vals = arg; gsub(/\|/, " ", vals) }
        else if (arg ~ /^[a-z][a-z0-9-]*$/) { vals = arg }
        else if (arg != "") {
            d = desc; sub(/.*: */, "", d); gsub(/ *\([^)]*\)/, "", d); sub(/\.$/, "", d)
            n = split(d, w, /, */); ok = n > 1
            for (i = 1; i <= n; i++) if (w[i] !~ /^[a-z][a-z0-9-]*$/) ok = 0
            if (ok) { vals = w[1]; for (i = 2; i <= n; i++) vals = vals " " w[i] }
        }
        printf "%s\t%s\t%s\n", opt, arg, vals
        opt = ""
    }
    /^usage:/ { usage = 1 }
    usage && /^$/ { usage = 0 }
    # Options the usage lines name ("[--only train|surface|hvp]"), after
    # those the entries describe: the first line of an option is its best.
    usage {
        for (s = $0; match(s, /--[a-z][a-z0-9-]*/); ) {
            o = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH); a = ""
            if (match(s, /^ [A-Za-z0-9][^ \]]*/)) a = substr(s, 2, RLENGTH - 1)
            v = (a ~ /\|/ && a !~ /[A-Z]/) ? a : ""; gsub(/\|/, " ", v)
            later = later o "\t" a "\t" v "\n"
        }
        next
    }
    /^ +--?[a-z]/ {
        flush()
        line = $0; sub(/^ +/, "", line)
        # "--opt ARG  text": the argument is what follows one space.
        if (match(line, /  +/)) { head = substr(line, 1, RSTART - 1); desc = substr(line, RSTART + RLENGTH) }
        else { head = line; desc = "" }
        opt = head; sub(/ .*/, "", opt)
        arg = head; if (!sub(/^[^ ]+ /, "", arg)) arg = ""
        # A second option on the line ("text   --slq-steps M  text").
        if (match(desc, /   +--/)) {
            rest = substr(desc, RSTART + RLENGTH - 2); desc = substr(desc, 1, RSTART - 1)
            flush(); line = rest
            if (match(line, /  +/)) { head = substr(line, 1, RSTART - 1); desc = substr(line, RSTART + RLENGTH) }
            else { head = line; desc = "" }
            opt = head; sub(/ .*/, "", opt)
            arg = head; if (!sub(/^[^ ]+ /, "", arg)) arg = ""
        }
        next
    }
    opt != "" && /^    / { t = $0; sub(/^ +/, "", t); desc = desc " " t; next }
    { flush() }
    END { flush(); printf "%s", later }'
}

# Directories holding a run (or, a level or two down, runs), else all.
_saddle_rundirs()
{
    local cur=$1 d
    local -a all=() runs=()
    mapfile -t all < <(compgen -d -- "$cur")
    for d in "${all[@]}"; do
        [[ ${d##*/} == .* && $cur != .* && $cur != */.* ]] && continue
        if compgen -G "$d/config.ini" >/dev/null || compgen -G "$d/*.safetensors" >/dev/null ||
           compgen -G "$d/*/config.ini" >/dev/null || compgen -G "$d/*/*/config.ini" >/dev/null; then
            runs+=("$d")
        fi
    done
    if ((${#runs[@]})); then printf '%s\n' "${runs[@]}"; return; fi
    for d in "${all[@]}"; do [[ ${d##*/} == .* && $cur != .* && $cur != */.* ]] || echo "$d"; done
}

# Files matching a glob pattern, and directories to reach them.
_saddle_files()
{
    compgen -d -- "$1"
    compgen -f -X "!$2" -- "$1"
}

_saddle()
{
    local bin=$1 line cur prev cmd i
    local -a words
    # Words split at blanks only: bash would split "--set a.b=c" at '='.
    if [[ -n ${COMP_LINE+x} ]]; then line=${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}
    else line="${COMP_WORDS[*]:0:COMP_CWORD+1}"; fi
    read -ra words <<< "$line"
    [[ -z $line || $line == *[[:space:]] ]] && words+=("")
    cur=${words[${#words[@]}-1]}
    prev=
    ((${#words[@]} > 1)) && prev=${words[${#words[@]}-2]}
    COMPREPLY=()

    if ((${#words[@]} <= 2)); then
        local cmds
        cmds=$(_saddle_help "$bin" | awk '/^commands:/ { on = 1; next } on && /^$/ { exit }
                                          on && /^  [a-z]/ { print $1 }')
        mapfile -t COMPREPLY < <(compgen -W "$cmds help --help --version" -- "$cur")
        return 0
    fi
    cmd=${words[1]}
    if [[ $cmd == help ]]; then
        ((${#words[@]} == 3)) && COMP_LINE="$bin " COMP_POINT=$((${#bin} + 1)) _saddle "$bin" &&
            mapfile -t COMPREPLY < <(compgen -W "${COMPREPLY[*]}" -- "$cur")
        return 0
    fi

    local opts
    opts=$(_saddle_help "$bin" "$cmd" | _saddle_options) || return 0

    if [[ $prev == --set ]]; then
        local keys
        if [[ $cur == *=* ]]; then
            # An enum key's values, from its "accepts one of a, b, c" line.
            local key=${cur%%=*} vals
            vals=$(_saddle_help "$bin" train | awk -v k="$key" '
                $1 == k { on = 1; next }
                on && /^  [a-z]/ { exit }
                on && /accepts one of / { sub(/.*accepts one of /, ""); gsub(/,/, ""); print; exit }')
            mapfile -t COMPREPLY < <(compgen -P "$key=" -W "$vals" -- "${cur#*=}")
            # bash replaces only the part after '=' when '=' breaks words.
            [[ $COMP_WORDBREAKS == *=* ]] && COMPREPLY=("${COMPREPLY[@]#"$key="}")
        else
            keys=$(_saddle_help "$bin" train | awk '/^  [a-z_]+\.[a-z_0-9]+ +[a-z0-9]+ +default:/ { print $1 "=" }')
            mapfile -t COMPREPLY < <(compgen -W "$keys" -- "$cur")
            compopt -o nospace 2>/dev/null
        fi
        return 0
    fi

    # The argument of an option.
    if [[ $prev == -* ]]; then
        local arg vals
        arg=$(awk -F'\t' -v o="$prev" '$1 == o { print $2; exit }' <<< "$opts")
        vals=$(awk -F'\t' -v o="$prev" '$1 == o && $3 != "" { printf "%s ", $3 }' <<< "$opts")
        if [[ -n $arg ]]; then
            compopt -o filenames 2>/dev/null
            case $arg in
                FILE|JSON|CONFIG|*.json|*.safetensors) vals="$vals $(compgen -f -- "$cur")" ;;
                DIR|OUT|RUN*) [[ $prev == --resume ]] && vals="$vals $(_saddle_rundirs "$cur")" ||
                              vals="$vals $(compgen -d -- "$cur")" ;;
            esac
            mapfile -t COMPREPLY < <(compgen -W "$vals" -- "$cur")
            return 0
        fi
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(cut -f1 <<< "$opts" | sort -u) --help" -- "$cur")
        return 0
    fi

    compopt -o filenames 2>/dev/null
    case $cmd in
        train|restarts) mapfile -t COMPREPLY < <(_saddle_files "$cur" '*.ini') ;;
        render)         mapfile -t COMPREPLY < <(_saddle_files "$cur" '*.json') ;;
        study)          mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        pca|plot|critical|compare)
                        mapfile -t COMPREPLY < <(_saddle_rundirs "$cur") ;;
        eval|surface|interp|hessian|sharpness|rescale)
                        mapfile -t COMPREPLY < <(_saddle_rundirs "$cur"; compgen -f -X '!*.safetensors' -- "$cur") ;;
    esac
    return 0
} &&
complete -F _saddle saddle
