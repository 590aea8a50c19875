# fish completion for spoolbuf(1)
set -l has_param -i -o -r -m -T -n --input --output --range --memory --tmpdir --name --max --seek
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s a -l append -d 'Append to FILE instead of replacing it'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s o -l output -r -F -d 'The same as the FILE operand'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -l inplace -d 'Truncate and write FILE itself (not atomic)'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -l keep-if-empty -d 'Leave FILE as it is if the input is empty'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s r -l range -x -d 'Write only RANGE'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -l seek -x -d 'Write from OFFSET on'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s x -l exec -d 'Run COMMAND on the input; all that follows is its arguments'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s n -l name -x -d 'With -x, {} is a real file called NAME'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s i -l input -r -F -d 'Read FILE instead of stdin'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s m -l memory -x -d 'Memory before spilling to disk'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s T -l tmpdir -x -a '(__fish_complete_directories)' -d 'Directory for the spool file'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -l max -x -d 'Refuse an input larger than SIZE'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s h -l help -d 'Show help'
complete -c spoolbuf -n 'not __fish_seen_argument -s x -l exec' -s V -l version -d 'Show version'
# After -x: the command, then its own arguments.
complete -c spoolbuf -n '__fish_seen_argument -s x -l exec' -x -a "(__fish_complete_subcommand -- $has_param)"
