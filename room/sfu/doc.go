// Package sfu is evalroom's selective forwarding unit: one media session
// per evaluation session, in which edge recorders, evaluators, staff,
// room displays and hidden supervisors publish and subscribe according to
// their media tokens (room/token).
//
// Media is forwarded without transcoding (VP8, H264, Opus). Each
// subscriber gets its own down track per published track that rewrites
// SSRC, payload type, sequence numbers and timestamps, so layer switches
// and pauses stay invisible to the decoder. NACKs are generated towards
// publishers (which may answer with RTX) and answered towards
// subscribers from one packet cache per published layer, on the original
// SSRC; PLI/FIR from subscribers reach the publisher at most once
// per KeyframeInterval per layer; publishers' RTCP Sender Reports are
// forwarded with translated timestamps so receivers can line tracks up on
// the publisher's clock (RFC 3550 §6.4.1). Simulcast layers are chosen
// per subscriber ("subscribe") and dropped under congestion, judged by
// the subscriber's receiver reports (loss) and REMB (see estimator and
// allocator). RFC 6464 audio levels become "speaking" events. Staff may
// mute a room's audio toward the other rooms (mute.go): its audio tracks
// then reach only its own room, the supervisors, admins and its venue's
// staff, on every node (MuteStore).
//
// The forwarding path is built to cost little CPU per packet: a
// publisher's packet is read once, cached once, and written to each
// subscriber by the reading goroutine itself, header rewritten, straight
// into SRTP (subscriber connections run no pion interceptor); with a
// batching socket (room/sfu/udpbatch) one system call then sends the
// whole fan-out.
//
// Signaling is a WebSocket JSON protocol (see protocol.go), WHIP (RFC
// 9725) for ingest and WHEP for view-only egress. With a Directory, the
// first join of a session claims it for this node; clients reaching
// another node are redirected there.
//
// sfu must not import other features (room, recorder, web); it declares
// Auditor, Directory and Presence and cmd wires them. It does not touch
// the database.
package sfu
