// pause: the pod sandbox's process on the local fleet's real node. It holds the pod's
// namespaces, reaps the zombies the pod's processes leave (it is PID 1 there) and exits on
// SIGTERM or SIGINT. Test infrastructure; built by hack/build-tools.sh pause.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
