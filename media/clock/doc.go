// Package clock measures how far an edge recorder's clock stands from
// evalroomd's, and maps RTP timestamps to UTC.
//
// Offset measurement follows the on-wire protocol of NTP (RFC 5905 §8):
// the client notes t1 when it sends a request, the server notes t2 when it
// receives it and t3 when it answers, and the client notes t4 when the
// answer arrives. The offset of the server's clock from the client's is
// θ = ((t2−t1)+(t3−t4))/2 and the round-trip delay δ = (t4−t1)−(t3−t2).
// Whatever the split of δ between the two directions, the true offset
// lies within θ ± δ/2, so δ/2 bounds the error of one sample.
//
// Sync runs that exchange in bursts at a fixed interval through an
// Exchanger (HTTPExchanger posts to evalroomd's /api/clock), keeps the
// sample with the smallest error bound over a window of bursts (the clock
// filter of RFC 5905 §10, simplified: a sample's bound grows with its age
// by a drift allowance), and offers Now, the local clock corrected by the
// chosen offset. Between measurements Now advances with the local
// monotonic clock, so a step of the local wall clock does not move it.
//
// NTP-format timestamps (RFC 3550 §4, for RTCP Sender Reports) and
// Mapping, which turns an RTP timestamp into UTC from a reference pair,
// are here too, so that the SFU, the recorder's live path and its archive
// agree on one clock model.
//
// The package imports nothing of evalroom's features: it is a media
// primitive. It never prints; Sync logs through the slog.Logger it is
// given.
package clock
