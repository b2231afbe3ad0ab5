package main

import (
	"os"
	"syscall"
)

// syscallZero is signal 0: delivery checks that the process exists.
func syscallZero() os.Signal { return syscall.Signal(0) }
