//go:build race

package main

// raceEnabled scales the heaviest tests down under the race detector,
// which makes them many times slower and hungrier.
const raceEnabled = true
