package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// loadReport is what a load run measured.
type loadReport struct {
	cfg                    loadConfig
	PubsOK                 int
	StreamsOK              int // WHEP viewers connected
	StreamsWanted          int
	Failures               int
	Measured               time.Duration
	Bytes, Packets         uint64 // received by subscribers while measuring
	CPU                    time.Duration
	CPUKnown               bool
	ClientCPU              time.Duration // this process, while measuring
	Expected, Lost, Dups   uint64
	Join                   []time.Duration // join → first keyframe, sorted
	JoinMissing            int             // video tracks without a keyframe
	Latency                []time.Duration // sorted
	VideoTracks, Keyframes int
}

func (rep *loadReport) collect(r *loadRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep.Failures = len(r.failed)
	for _, st := range r.streams {
		if st.connected {
			rep.StreamsOK++
		}
	}
	var join, lat []time.Duration
	for _, t := range r.tracks {
		rep.Bytes += t.bytes
		rep.Packets += t.packets
		rep.Expected += t.seq.expected()
		rep.Lost += t.seq.lost()
		rep.Dups += t.seq.dups
		lat = append(lat, t.latency...)
		if t.video {
			rep.VideoTracks++
			rep.Keyframes += t.keyframes
			if t.firstFrame > 0 {
				join = append(join, t.firstFrame)
			} else {
				rep.JoinMissing++
			}
		}
	}
	rep.JoinMissing += rep.StreamsOK - rep.VideoTracks // viewers that got no video track at all
	rep.JoinMissing = max(rep.JoinMissing, 0)
	rep.Join, rep.Latency = sortedCopy(join), sortedCopy(lat)
}

// Mbps is the forwarded bit rate.
func (rep *loadReport) Mbps() float64 {
	if rep.Measured <= 0 {
		return 0
	}
	return float64(rep.Bytes) * 8 / rep.Measured.Seconds() / 1e6
}

// LossPct is the packet loss in percent.
func (rep *loadReport) LossPct() float64 {
	if rep.Expected == 0 {
		return 0
	}
	return float64(rep.Lost) * 100 / float64(rep.Expected)
}

func (rep *loadReport) cpuPerGbit() string {
	if !rep.CPUKnown || rep.Bytes == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f s", rep.CPU.Seconds()/(float64(rep.Bytes)*8/1e9))
}

func (rep *loadReport) cpuPerPacket() string {
	if !rep.CPUKnown || rep.Packets == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f µs", rep.CPU.Seconds()*1e6/float64(rep.Packets))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func (rep *loadReport) write(w io.Writer) error {
	c := rep.cfg
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "loadtest\t%d sessions × (%d publishers + %d subscribers), VP8 %.2f Mbit/s @ %d fps + Opus, %s measured\n",
		c.Sessions, c.Publishers, c.Subscribers, float64(c.Bitrate)/1e6, c.FPS, rep.Measured.Round(time.Millisecond))
	fmt.Fprintf(tw, "publishers joined\t%d / %d\n", rep.PubsOK, c.Sessions*c.Publishers)
	fmt.Fprintf(tw, "viewer streams joined\t%d / %d (WHEP, video + audio each; %d client failures)\n", rep.StreamsOK, rep.StreamsWanted, rep.Failures)
	fmt.Fprintf(tw, "forwarded\t%.1f Mbit/s, %.0f packets/s\n", rep.Mbps(), float64(rep.Packets)/max(rep.Measured.Seconds(), 1e-9))
	if rep.CPUKnown {
		fmt.Fprintf(tw, "server CPU\t%.2f s in %.1f s (%.0f %% of one core)\n", rep.CPU.Seconds(), rep.Measured.Seconds(), rep.CPU.Seconds()*100/rep.Measured.Seconds())
	} else {
		fmt.Fprintf(tw, "server CPU\tn/a (no -pid)\n")
	}
	fmt.Fprintf(tw, "loadtest's own CPU\t%.2f s (%.0f %% of one core; on the same machine it competes with the server)\n",
		rep.ClientCPU.Seconds(), rep.ClientCPU.Seconds()*100/max(rep.Measured.Seconds(), 1e-9))
	fmt.Fprintf(tw, "CPU per forwarded Gbit\t%s\n", rep.cpuPerGbit())
	fmt.Fprintf(tw, "CPU per forwarded packet\t%s\n", rep.cpuPerPacket())
	fmt.Fprintf(tw, "packet loss\t%.3f %% (%d of %d expected; %d duplicates)\n", rep.LossPct(), rep.Lost, rep.Expected, rep.Dups)
	fmt.Fprintf(tw, "join → first keyframe\tp50 %s, p99 %s (%d video tracks, %d without a keyframe)\n",
		ms(percentile(rep.Join, 50)), ms(percentile(rep.Join, 99)), len(rep.Join), rep.JoinMissing)
	fmt.Fprintf(tw, "latency, end to end\tp50 %s, p99 %s (%d samples; clients and server on one clock)\n",
		ms(percentile(rep.Latency, 50)), ms(percentile(rep.Latency, 99)), len(rep.Latency))
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "summary: %dx(%dp+%ds) %.2fM: %.1f Mbit/s forwarded, cpu %s/Gbit %s/pkt, loss %.3f%%, join p50 %s p99 %s, latency p50 %s p99 %s\n",
		c.Sessions, c.Publishers, c.Subscribers, float64(c.Bitrate)/1e6, rep.Mbps(), rep.cpuPerGbit(), rep.cpuPerPacket(), rep.LossPct(),
		ms(percentile(rep.Join, 50)), ms(percentile(rep.Join, 99)), ms(percentile(rep.Latency, 50)), ms(percentile(rep.Latency, 99)))
	return err
}
