// The full command line. `omega-exec` (Sources/omega-exec-front) runs a well-formed `jail`
// invocation itself and executes this program, beside it, for everything else.
OmegaExec.main()
