//go:build !unix

package safefs

import "os"

const openFlags = 0

// noFollow is not available: Jail.ReadFile always takes the full check.
const noFollow = 0

func clearNonblock(*os.File) error { return nil }
