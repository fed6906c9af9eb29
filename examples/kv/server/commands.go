package server

import (
	"github.com/rawnet/rawnet/examples/kv/resp"
	"github.com/rawnet/rawnet/examples/kv/store"
)

// command identifies a command the server knows.
type command uint8

// The commands served. Everything else gets "unknown command".
const (
	cmdUnknown command = iota
	cmdGet
	cmdSet
	cmdDel
	cmdIncr
	cmdMget
	cmdPing
	cmdEcho
	cmdQuit
	cmdConfig
)

// names spells each command as Redis does in its error messages.
var names = [...]string{
	cmdGet: "get", cmdSet: "set", cmdDel: "del", cmdIncr: "incr", cmdMget: "mget",
	cmdPing: "ping", cmdEcho: "echo", cmdQuit: "quit", cmdConfig: "config",
}

// upper copies word into buf in upper case and returns that part of buf,
// or nil if word does not fit: a word longer than buf matches nothing
// the caller compares it with.
func upper(buf, word []byte) []byte {
	if len(word) > len(buf) {
		return nil
	}
	for i, ch := range word {
		if 'a' <= ch && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		buf[i] = ch
	}
	return buf[:len(word)]
}

// lookup finds a command by name, in any case, without allocating: the
// name is folded into an array on the stack, and a switch on its string
// conversion compares bytes without making a string.
func lookup(name []byte) command {
	var buf [8]byte
	switch string(upper(buf[:], name)) {
	case "GET":
		return cmdGet
	case "SET":
		return cmdSet
	case "DEL":
		return cmdDel
	case "INCR":
		return cmdIncr
	case "MGET":
		return cmdMget
	case "PING":
		return cmdPing
	case "ECHO":
		return cmdEcho
	case "QUIT":
		return cmdQuit
	case "CONFIG":
		return cmdConfig
	}
	return cmdUnknown
}

// exec runs one command, appending its reply to s.out. It returns
// errQuit after QUIT, or ErrOutputLimit if an MGET reply written out in
// pieces passed the output limit.
func (h *handler) exec(s *scratch, w sink, args [][]byte) error {
	cmd := lookup(args[0])
	if cmd == cmdUnknown {
		s.out = appendUnknown(s.out, args)
		return nil
	}
	if !arityOK(cmd, len(args)) {
		s.out = resp.AppendError(s.out, "ERR wrong number of arguments for '"+names[cmd]+"' command")
		return nil
	}
	switch cmd {
	case cmdGet:
		var ok bool
		if s.out, ok = h.store.Get(s.out, args[1], resp.AppendBulk); !ok {
			s.out = resp.AppendNull(s.out)
		}
	case cmdSet:
		if len(args) > 3 {
			// SET's options (EX, PX, NX, XX, GET, KEEPTTL) need expiry or
			// conditional writes, which this example leaves out.
			s.out = resp.AppendError(s.out, "ERR syntax error")
			break
		}
		h.store.Set(args[1], args[2])
		s.out = resp.AppendSimple(s.out, "OK")
	case cmdDel:
		n := int64(0)
		for _, key := range args[1:] {
			if h.store.Del(key) {
				n++
			}
		}
		s.out = resp.AppendInt(s.out, n)
	case cmdIncr:
		switch n, err := h.store.Incr(args[1], 1); err {
		case nil:
			s.out = resp.AppendInt(s.out, n)
		case store.ErrOverflow:
			s.out = resp.AppendError(s.out, "ERR increment or decrement would overflow")
		default:
			s.out = resp.AppendError(s.out, "ERR value is not an integer or out of range")
		}
	case cmdMget:
		return h.mget(s, w, args[1:])
	case cmdPing:
		if len(args) == 2 {
			s.out = resp.AppendBulk(s.out, args[1])
		} else {
			s.out = resp.AppendSimple(s.out, "PONG")
		}
	case cmdEcho:
		s.out = resp.AppendBulk(s.out, args[1])
	case cmdQuit:
		s.out = resp.AppendSimple(s.out, "OK")
		return errQuit
	case cmdConfig:
		s.out = appendConfig(s.out, args[1:])
	}
	return nil
}

// arityOK checks the argument count, command name included, as Redis's
// command table does.
func arityOK(cmd command, n int) bool {
	switch cmd {
	case cmdGet, cmdIncr, cmdEcho:
		return n == 2
	case cmdSet:
		return n >= 3
	case cmdDel, cmdMget:
		return n >= 2
	case cmdPing:
		return n <= 2
	case cmdQuit:
		return n == 1
	case cmdConfig:
		return n >= 2
	}
	return true
}

// mget appends one bulk string or null per key. A reply of many large
// values is written out as it grows, so that it never sits whole in the
// loop's buffer, and the output limit is checked as it goes.
func (h *handler) mget(s *scratch, w sink, keys [][]byte) error {
	s.out = resp.AppendArray(s.out, len(keys))
	for _, key := range keys {
		var ok bool
		if s.out, ok = h.store.Get(s.out, key, resp.AppendBulk); !ok {
			s.out = resp.AppendNull(s.out)
		}
		if len(s.out) >= flushAt {
			if err := h.flush(s, w); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendUnknown appends Redis 7's reply to an unknown command, which
// names it and quotes the start of its arguments, each part cut as Redis
// cuts it (server.c, processCommand).
func appendUnknown(dst []byte, args [][]byte) []byte {
	msg := "ERR unknown command '" + clip(args[0], 128) + "', with args beginning with: "
	quoted := ""
	for _, a := range args[1:] {
		if len(quoted) >= 128 {
			break
		}
		quoted += "'" + clip(a, 128-len(quoted)) + "' "
	}
	return resp.AppendError(dst, msg+quoted)
}

// clip returns at most n bytes of b as a string.
func clip(b []byte, n int) string {
	return string(b[:min(len(b), max(n, 0))])
}

// appendConfig answers CONFIG GET for the two parameters redis-benchmark
// asks about before it starts, with the truth about this server: nothing
// is ever saved. Other parameters give an empty list, as Redis gives for
// a pattern that matches none; other subcommands are errors.
func appendConfig(dst []byte, args [][]byte) []byte {
	var sub, param [16]byte
	if len(args) != 2 || string(upper(sub[:], args[0])) != "GET" {
		return resp.AppendError(dst, "ERR only CONFIG GET <parameter> is supported")
	}
	switch string(upper(param[:], args[1])) {
	case "SAVE":
		dst = resp.AppendArray(dst, 2)
		dst = resp.AppendBulkString(dst, "save")
		return resp.AppendBulkString(dst, "")
	case "APPENDONLY":
		dst = resp.AppendArray(dst, 2)
		dst = resp.AppendBulkString(dst, "appendonly")
		return resp.AppendBulkString(dst, "no")
	}
	return resp.AppendArray(dst, 0)
}
