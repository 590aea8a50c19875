#!/usr/bin/env bats
# Completions for every program: each option --help lists is completed by
# bash, zsh and fish, and the bash one really completes.
bats_require_minimum_version 1.5.0
load helper

top=$BATS_TEST_DIRNAME/../..

programs() {
	for f in "$top"/completions/bash/*; do basename "$f"; done
}

options_of() {
	"$SK_BIN/$1" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}

@test "every program has bash, zsh and fish completions" {
	for p in $(programs); do
		[ -f "$top/completions/zsh/_$p" ]
		[ -f "$top/completions/fish/$p.fish" ]
		[ -x "$SK_BIN/$p" ]
	done
}

@test "bash, zsh and fish completions name every option of --help" {
	for p in $(programs); do
		for o in $(options_of "$p"); do
			grep -q -- "$o\b" "$top/completions/bash/$p" || { echo "bash $p: $o"; false; }
			grep -q -- "${o}[=\[']\|'$o'\|$o\b" "$top/completions/zsh/_$p" || { echo "zsh $p: $o"; false; }
			grep -q -- "-l ${o#--}\b" "$top/completions/fish/$p.fish" || { echo "fish $p: $o"; false; }
		done
	done
}

@test "bash completion completes an option" {
	for p in $(programs); do
		run bash -c "source '$top/completions/bash/$p'; COMP_WORDS=($p --he); COMP_CWORD=1; _$p; echo \${COMPREPLY[*]}"
		assert_success
		assert_output --partial -- "--help"
	done
}

@test "zsh and fish completion files parse" {
	for p in $(programs); do
		if command -v zsh >/dev/null; then zsh -n "$top/completions/zsh/_$p"; fi
		if command -v fish >/dev/null; then fish -n "$top/completions/fish/$p.fish"; fi
		bash -n "$top/completions/bash/$p"
	done
}
