# A saddle --help text (stdin) as a man(7) page (stdout); tools/man/mkman.sh
# runs it with -v name=, summary=, seealso= (page names), version= and
# cmdcol= (the column of the command descriptions in `saddle --help`).
# POSIX awk only (Debian's default awk is mawk: no gensub, no {m,n}).

function esc(s) {
    gsub(/\\/, "\\\\e", s)
    gsub(/-/, "\\-", s)
    if (s ~ /^[.']/) s = "\\&" s
    return s
}

# An entry's tag: options bold, metavariables (N, FILE, S.K=V) italic.
function tagfmt(s,    n, w, i, out) {
    n = split(s, w, " ")
    out = ""
    for (i = 1; i <= n; i++) {
        if (w[i] ~ /^--?[a-zA-Z]/ || (sect == "COMMANDS" && i == 1)) w[i] = "\\fB" esc(w[i]) "\\fR"
        else if (w[i] ~ /^[A-Z][A-Z0-9_.=]*$/) w[i] = "\\fI" esc(w[i]) "\\fR"
        else w[i] = esc(w[i])
        out = out (i > 1 ? " " : "") w[i]
    }
    return out
}

function indent_of(s) { match(s, /^ */); return RLENGTH }

function close_block() {
    if (verb) print ".fi"
    verb = 0; inentry = 0
}

function section(title) {
    close_block()
    print ".SH " title
    sect = title; para = 0
}

# "  --opt ARG   text", "  train CONFIG ...", "  data.name  enum  default: x"
function entry(line,    ind, rest, p, tag, desc, more) {
    if (sect == "DESCRIPTION" && line ~ /^ *-/) section("OPTIONS")
    close_block()
    ind = indent_of(line)
    rest = substr(line, ind + 1)
    more = ""
    if (sect == "COMMANDS" && substr(line, cmdcol, 1) == " " && substr(line, cmdcol + 1, 1) ~ /[a-zA-Z]/) {
        tag = substr(line, ind + 1, cmdcol - ind - 1); sub(/ +$/, "", tag)
        desc = substr(line, cmdcol + 1); desccol = cmdcol
    } else if (match(rest, /  +/)) {
        tag = substr(rest, 1, RSTART - 1)
        desc = substr(rest, RSTART + RLENGTH)
        desccol = ind + RSTART + RLENGTH - 1
        # Two options on one line ("--runs R  text    --slq-steps M  text").
        if (match(desc, /   +-/)) {
            more = substr(desc, RSTART + RLENGTH - 1)
            desc = substr(desc, 1, RSTART - 1)
        }
    } else {
        tag = rest; desc = ""; desccol = -1
    }
    print ".TP"
    print tagfmt(tag)
    if (desc != "") print esc(desc)
    inentry = 1; entryind = ind
    if (more != "") entry(sprintf("%" ind "s%s", "", more))
}

BEGIN {
    up = toupper(name); gsub(/-/, "\\-", up)
    print ".\\\" Generated from `" (name == "saddle" ? "saddle" : "saddle " substr(name, 8)) " --help` by tools/man/mkman.sh."
    print ".TH " up " 1 \"\" \"saddle " version "\" \"saddle manual\""
    print ".nh"   # an option split as --re-sume cannot be searched for or pasted
    print ".SH NAME"
    print esc(name) " \\- " esc(summary)
    sect = ""; phase = 0
}

# The usage lines, up to the first blank line.
phase == 0 && /^usage: / {
    print ".SH SYNOPSIS"
    print ".nf"
    phase = 1
    line = substr($0, 8)
}
phase == 1 {
    if ($0 == "") { print ".fi"; phase = 2; sect = ""; para = 0; next }
    if (line == "") { line = $0; sub(/^ +/, "", line) }
    if (line ~ /^saddle /) {
        n = split(line, w, " ")
        cmd = (w[2] ~ /^[a-z]/) ? "saddle " w[2] : "saddle"
        print "\\fB" esc(cmd) "\\fR" esc(substr(line, length(cmd) + 1))
    } else {
        print "    " esc(line)
    }
    line = ""
    next
}
phase == 0 { phase = 2 }

# Everything after the usage.
$0 == "" { close_block(); para = 1; prevblank = 1; next }
{
    blank_before = prevblank; prevblank = 0
    ind = indent_of($0)
    head = $0; paren = ""
    if (ind == 0 && blank_before && head ~ /:$/ && length(head) < 60) {
        head = substr(head, 1, length(head) - 1)
        if (match(head, / \(/)) { paren = substr(head, RSTART + 1); head = substr(head, 1, RSTART - 1) }
        if (split(head, hw, " ") <= 3) {
            section(toupper(head))
            if (paren != "") print esc(paren)
            next
        }
    }
    if (sect == "") section("DESCRIPTION")
    if (ind == 0 && $0 ~ /^\[[a-z]+\]$/) { close_block(); print ".SS " esc($0); para = 0; next }
    if (ind > 0 && (substr($0, ind + 1) ~ /^-/ || (ind == 2 && (sect == "COMMANDS" || sect == "CONFIG KEYS")))) {
        entry($0); para = 0; next
    }
    if (ind > 0 && inentry && ind > entryind) {
        t = substr($0, ind + 1)
        if (desccol < 0) desccol = ind
        if (ind != desccol) print ".br"
        print esc(t)
        next
    }
    if (ind > 0) {
        if (!verb) { close_block(); if (para) print ".PP"; print ".nf"; verb = 1; para = 0 }
        print esc($0)
        next
    }
    if (verb || inentry) { close_block(); para = 1 }
    if (para) { print ".PP"; para = 0 }
    print esc($0)
}

END {
    if (phase == 1) print ".fi"
    close_block()
    print ".SH \"SEE ALSO\""
    n = split(seealso, s, " ")
    for (i = 1; i <= n; i++) print "\\fB" esc(s[i]) "\\fR(1)" (i < n ? "," : "")
}
