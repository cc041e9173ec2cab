// Package sfuclient is a pion-based client for evalroom's SFU (room/sfu):
// it speaks the WebSocket signaling protocol (Join, Publish,
// PublishSimulcast, Subscribe, Leave; received tracks through
// Options.OnTrack, events through Options.OnEvent) and WHIP/WHEP (WHIP,
// WHEP). Rejoin keeps a participant in its session across node restarts
// (a rolling upgrade): when the server closes the connection it joins
// again through the nodes it knows, with a fresh token, and publishes
// its tracks again. It is used by the SFU's tests, the end-to-end tests and the load
// command; its API is kept stable.
//
// Received tracks carry the SFU's ids: TrackRemote.ID() is the published
// track id ("TR_…") and TrackRemote.StreamID() the publisher's participant
// id ("PA_…").
package sfuclient
