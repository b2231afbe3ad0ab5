//go:build !unix

package safefs

import "os"

const openFlags = 0

func clearNonblock(*os.File) error { return nil }
