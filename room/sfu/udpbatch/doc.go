// Package udpbatch wraps a UDP socket so that many small writes leave in
// one system call (sendmmsg(2) on Linux, through golang.org/x/net's
// WriteBatch; one write per datagram elsewhere).
//
// An SFU sends each incoming RTP packet to every subscriber: N datagrams
// to N addresses. Conn.WriteTo copies the datagram into a pooled slot and
// returns at once; the queue is sent when it is full, when the caller
// calls Flush (the SFU does after fanning one packet out), or, as a
// backstop for writes nobody flushes (ICE, DTLS, RTCP inside pion), a
// short interval after the first queued datagram. Datagrams leave in the
// order they were written, so order per destination is preserved. Reads
// pass straight through.
//
// Conn implements net.PacketConn and pion/ice's AddrPortReaderWriter, so
// it can stand under ice.NewUDPMuxDefault; see the package example.
//
// The backstop is a runtime timer armed by the first queued datagram and
// disarmed by the send that empties the queue, so a caller that flushes
// every fan-out causes no extra wake-up; Close disarms it and waits for a
// backstop send in progress. The package knows nothing of RTP or
// sessions; it logs a failing send once per run of failures.
package udpbatch
