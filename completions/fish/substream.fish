# fish completion for substream(1)
complete -c substream -s r -l range -x -d 'Write RANGE (START:END, START+LENGTH, START:, :END)'
complete -c substream -s l -l lines -d 'Count lines instead of bytes'
complete -c substream -s z -l zero-terminated -d 'With --lines, lines end with NUL'
complete -c substream -s s -l strict -d 'Fail when a range runs past the input'
complete -c substream -s h -l help -d 'Show help'
complete -c substream -s V -l version -d 'Show version'
