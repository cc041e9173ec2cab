// Package live is the edge recorder's live path: it publishes the frames
// the recorder has already encoded (media/frame) to the room server by
// WHIP (RFC 9725), over one pion/webrtc peer connection carrying every
// track of the room (cameras and microphone).
//
// # Never in the way of the archive
//
// The same encoded frames go to the archive and here, and the archive
// must never wait for the network. Publisher.Write therefore never
// blocks: each track has a small queue (Params.Queue frames), and a frame
// that finds no connection or a full queue is dropped and counted
// (Status.Dropped). After a dropped video frame the track skips frames up
// to the next keyframe, so a viewer never decodes from a broken
// reference, and Params.OnKeyframe asks the encoder for one (once per
// loss). OnKeyframe is also called when a connection comes up and when
// the server asks for a keyframe (RTCP PLI or FIR, RFC 4585 and 5104).
//
// # Packets and time
//
// The package packetises itself, with pion/rtp's payloaders (RFC 6184
// packetization mode 1 for H.264 access units in Annex-B form, RFC 7741
// for VP8, RFC 7587 for Opus), into webrtc.TrackLocalStaticRTP tracks.
// A frame's RTP timestamp is its UTC capture time (the recorder's
// corrected clock) through a media/clock.Mapping from a random base
// chosen per track and connection (RFC 3550 §5.1). About every second
// the publisher writes each track's RTCP Sender Report itself (RFC 3550
// §6.4.1): the NTP timestamp of Params.Now and the RTP timestamp of that
// same instant through the same mapping, with packet and octet counts.
// pion's own sender-report interceptor is not registered, because it
// stamps reports with the host clock. The room server forwards these
// reports to viewers, so every viewer maps RTP back to the recorder's
// corrected UTC, the same clock the archive is stamped with.
//
// The only interceptor is pion's NACK responder, which keeps recent
// packets and resends the ones the server reports lost (RFC 4585), on
// an RTX stream (RFC 4588) when the server accepts one.
//
// # Connections
//
// Publisher.Run owns every goroutine. For each attempt it calls
// Params.Endpoint (a fresh device token; cmd wires recorder/devauth
// there), gathers ICE candidates, posts the offer with the Bearer token
// (following 307 redirects to the node hosting the session), and applies
// the answer. A connection is given up when ICE or DTLS fails, when it
// stays disconnected for more than 5 s, or when it does not connect in
// 30 s; a refused offer (ErrUnauthorized for 401/403, ErrRefused
// otherwise) fails the attempt. Between attempts Run waits a jittered
// backoff that doubles from Params.BackoffMin to Params.BackoffMax and
// starts over once a connection has been up. When its context ends Run
// deletes the WHIP resource, closes the connection, waits for its
// goroutines and returns. Status tells whether media flows, since when,
// how many reconnects, frames sent and dropped, and the last error.
//
// # Boundaries
//
// This package and room/sfu are the only importers of pion/webrtc. It
// imports media/ only: not devices, not the archive writer, not room (the
// WHIP wire format is the RFC's). It never prints; it logs through the
// slog.Logger it is given.
package live
