package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/evalroom/evalroom/devices"
)

// listDevices prints the cameras and microphones the drivers find, with
// what to put in the configuration.
func listDevices(w io.Writer) error {
	list, err := devices.List()
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tID\tLABEL\tFORMATS")
	for _, d := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Kind, d.ID, d.Label, strings.Join(d.Formats, " "))
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", "camera", devices.Synthetic, "clock-faced test camera", "any size")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", "microphone", devices.Synthetic, "beep at each whole second", "48 kHz")
	return tw.Flush()
}
