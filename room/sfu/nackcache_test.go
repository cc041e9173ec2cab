package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
)

func TestPacketCache(t *testing.T) {
	c := newPacketCache()
	buf := make([]byte, maxPacket)
	c.put(7, []byte{1, 2, 3})
	require.Equal(t, 3, c.get(7, buf))
	require.Equal(t, []byte{1, 2, 3}, buf[:3])
	require.Zero(t, c.get(8, buf), "never stored")
	c.put(7+cacheSize, []byte{4})
	require.Zero(t, c.get(7, buf), "overwritten by a newer packet")
	require.Equal(t, 1, c.get(7+cacheSize, buf))
	c.put(9, make([]byte, maxPacket+1))
	require.Zero(t, c.get(9, buf), "too large to keep")
}

func TestRetransmitFromTheLayerCache(t *testing.T) {
	l, downs, ws := forwarding(2)
	l.cache = newPacketCache()
	now := time.Now()
	send := func(seq uint16, key bool, mark byte) {
		p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, SSRC: 42, PayloadType: 100},
			Payload: vp8Payload(key, mark)}
		raw, err := p.Marshal()
		require.NoError(t, err)
		l.cache.put(seq, raw)
		for _, d := range downs {
			d.forward(l, &p.Header, p.Payload, key, nil, now)
		}
	}
	send(1000, true, 0)
	for i := uint16(1); i < 20; i++ {
		send(1000+i, false, byte(i))
	}
	d, w := downs[1], ws[1]
	require.Equal(t, 20, w.packets)
	last := w.last
	lost := last.SequenceNumber - 5 // the subscriber's sequence number space
	buf := make([]byte, maxPacket)
	d.retransmit(lost, buf)
	require.Equal(t, 21, w.packets)
	require.Equal(t, lost, w.last.SequenceNumber)
	require.Equal(t, last.Timestamp-5*3000, w.last.Timestamp)
	require.Equal(t, d.ssrc, w.last.SSRC)
	require.Equal(t, uint8(96), w.last.PayloadType)
	require.Equal(t, byte(14), w.lastMark, "the packet that carried sequence number 1014")
	require.Equal(t, 20, ws[0].packets, "only the subscriber that asked")
	d.retransmit(lost, buf)
	require.Equal(t, 21, w.packets, "asked again at once: not resent")

	d.retransmit(last.SequenceNumber+1, buf)
	d.retransmit(last.SequenceNumber-cacheSize, buf)
	require.Equal(t, 21, w.packets, "never sent or long gone: nothing")
}

func TestEstimator(t *testing.T) {
	now := time.Now()
	var e estimator
	require.Zero(t, e.estimate(now, 1_000_000), "no report yet")

	e.onLoss(128) // 50 %
	first := e.estimate(now, 1_000_000)
	require.Less(t, first, int64(850_000), "heavy loss is congestion")
	require.Equal(t, first, e.estimate(now, 1_000_000), "no new report: held")

	e.onLoss(0)
	e.onLoss(0)
	require.Greater(t, e.estimate(now, 1_000_000), first, "no loss: grows")

	for range 20 {
		e.onLoss(0)
		e.estimate(now, 1_000_000)
	}
	require.LessOrEqual(t, e.estimate(now, 1_000_000), int64(2_000_000), "not far above what is sent")

	e.onREMB(300_000, now)
	require.Equal(t, int64(300_000), e.estimate(now, 1_000_000), "REMB caps it")
	require.Greater(t, e.estimate(now.Add(rembTTL+time.Second), 1_000_000), int64(300_000), "an old REMB does not")

	e.onLoss(20) // 8 %: held
	before := e.estimate(now.Add(time.Hour), 1_000_000)
	e.onLoss(20)
	require.Equal(t, before, e.estimate(now.Add(time.Hour), 1_000_000))
}

func vp8Payload(key bool, mark byte) []byte {
	p := make([]byte, 100)
	p[0] = 0x10
	if !key {
		p[1] = 0x01
	}
	p[2] = mark
	return p
}

func TestAbsSendTime(t *testing.T) {
	at := time.Unix(1_000_000_007, 500_000_000) // …7.5 s: 7 % 64 = 7 seconds and a half
	require.Equal(t, [3]byte{0x1e, 0x00, 0x00}, absSendTime(at))
}
