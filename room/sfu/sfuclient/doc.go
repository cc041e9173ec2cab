// Package sfuclient is a pion-based client for evalroom's SFU (room/sfu):
// it speaks the WebSocket signaling protocol (Join, Publish,
// PublishSimulcast, Subscribe, Leave; received tracks through
// Options.OnTrack, events through Options.OnEvent) and WHIP/WHEP (WHIP,
// WHEP). It is used by the SFU's tests, the end-to-end tests and the load
// command; its API is kept stable.
//
// Received tracks carry the SFU's ids: TrackRemote.ID() is the published
// track id ("TR_…") and TrackRemote.StreamID() the publisher's participant
// id ("PA_…").
package sfuclient
