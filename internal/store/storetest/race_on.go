//go:build race

package storetest

// raceEnabled: the race detector slows code several-fold; speed targets do not apply.
const raceEnabled = true
