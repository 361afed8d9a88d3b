# bash completion for tcpfsm(8): installed by `meson install` where
# bash-completion looks for it ($datadir/bash-completion/completions).
#
# Completes tcpdump's letters as tcpdump's own completion would (capture
# files for -r and -w, interfaces for -i), and tcpfsm's long options with
# their values: formats, colours, event kinds, state names.

_tcpfsm()
{
	local cur prev words cword
	_init_completion -n = || return

	local states="CLOSED LISTEN SYN_SENT SYN_RECEIVED ESTABLISHED FIN_WAIT_1
		FIN_WAIT_2 CLOSING TIME_WAIT CLOSE_WAIT LAST_ACK"
	case $prev in
	-r | --read | -w)
		_filedir '@(pcap|pcapng|cap|dump)?(.gz)'
		return
		;;
	-i | --interface)
		_available_interfaces -a
		return
		;;
	-g | --config)
		_filedir '@(yaml|yml)'
		return
		;;
	-F)
		_filedir
		return
		;;
	--format)
		COMPREPLY=($(compgen -W 'text json zeek' -- "$cur"))
		return
		;;
	--color)
		COMPREPLY=($(compgen -W 'auto always never' -- "$cur"))
		return
		;;
	--checksums)
		COMPREPLY=($(compgen -W 'verify ignore' -- "$cur"))
		return
		;;
	--state)
		COMPREPLY=($(compgen -W "$states" -- "$cur"))
		return
		;;
	--only)
		# a comma-separated list: complete the word after the last comma
		local prefix=${cur%"${cur##*,}"}
		COMPREPLY=($(compgen -P "$prefix" \
			-W 'transitions alerts resolved conns stats' \
			-- "${cur##*,}"))
		compopt -o nospace
		return
		;;
	--alert)
		COMPREPLY=($(compgen -S = -W "SYN_SENT SYN_RECEIVED FIN_WAIT_1
			FIN_WAIT_2 CLOSING CLOSE_WAIT LAST_ACK unacked_data
			zero_window retransmissions keepalives" -- "$cur"))
		compopt -o nospace
		return
		;;
	-c | -s | --snapshot-length | --max-connections | --host | --conn | \
		--ring-size)
		return # a number or an address: nothing to offer
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '-r -i -c -s -F -w -D -l -n -nn -q -t
			-tt -ttt -tttt -ttttt -v -g -h --read --interface
			--snapshot-length --list-interfaces --config --format
			--check-config --daemon --foreground --snapshot --color
			--max-connections --alert --checksums --only --state
			--host --conn --ring-size --help --version' -- "$cur"))
		return
	fi
	# past the options: a pcap filter expression, as for tcpdump
	COMPREPLY=($(compgen -W 'host net port portrange src dst tcp and or
		not' -- "$cur"))
} &&
	complete -F _tcpfsm tcpfsm
