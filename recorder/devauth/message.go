package devauth

// Message is what a recorder signs to ask for a device token:
// "evalroom-device-token\n<recorder id>\n<timestamp>", the timestamp in
// RFC 3339 exactly as the request sends it. It must stay byte for byte
// the server's room.DeviceMessage.
func Message(recorderID, timestamp string) []byte {
	return []byte("evalroom-device-token\n" + recorderID + "\n" + timestamp)
}
