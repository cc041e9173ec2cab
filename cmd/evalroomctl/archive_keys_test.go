package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/cmd/internal/infra"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/room"
)

// signer continues a recorder's hash chain with whatever key it is given,
// as a room PC replaced with its chain carried over (or a rotated key)
// would, and uploads each segment.
type signer struct {
	svc      *archive.Service
	recorder string
	room     int64
	session  int64
	seq      int64
	prev     manifest.Digest
	start    time.Time
}

// segment is one signed segment: its hash and manifest file.
type segment struct {
	hash string
	raw  []byte
}

// sign writes the next segment of 10 s and signs its manifest with key,
// without uploading it.
func (s *signer) sign(t *testing.T, key ed25519.PrivateKey) segment {
	t.Helper()
	data := make([]byte, 2400+s.seq)
	_, err := rand.Read(data)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	d, err := manifest.ParseDigest(hex.EncodeToString(sum[:]))
	require.NoError(t, err)
	at := s.start.Add(time.Duration(s.seq) * 10 * time.Second)
	m := manifest.Manifest{Version: manifest.Version, Recorder: s.recorder, Room: itoa(s.room), Session: itoa(s.session),
		Seq: s.seq + 1, Prev: s.prev, Segment: fmt.Sprintf("seg-%06d.mp4", s.seq+1), Size: int64(len(data)), Alg: manifest.SHA256,
		SegmentHash: d, Start: at, End: at.Add(10 * time.Second), CreatedAt: at.Add(10 * time.Second),
		Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}}
	require.NoError(t, m.Sign(key))
	raw, err := m.Canonical()
	require.NoError(t, err)
	_, err = s.svc.PutSegment(context.Background(), s.recorder, d.String(), bytes.NewReader(data))
	require.NoError(t, err)
	return segment{hash: d.String(), raw: raw}
}

// upload signs the next segment with key and uploads it; the chain moves
// on only when the archive accepts it.
func (s *signer) upload(t *testing.T, key ed25519.PrivateKey) (segment, error) {
	t.Helper()
	g := s.sign(t, key)
	_, err := s.svc.AcceptManifest(context.Background(), s.recorder, g.raw)
	if err == nil {
		m, perr := manifest.Parse(g.raw)
		require.NoError(t, perr)
		s.seq = m.Seq
		s.prev, perr = m.Hash()
		require.NoError(t, perr)
	}
	return g, err
}

func TestARecorderKeyReplacedKeepsTheArchiveVerifiable(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	db, err := infra.OpenPostgres(ctx, configPostgres(dsn))
	require.NoError(t, err)
	defer db.Close()
	_, err = infra.Migrate(ctx, db)
	require.NoError(t, err)
	start := time.Now().UTC().Truncate(time.Second)
	clock := testenv.NewClock(start)
	log := audit.New(db, audit.WithClock(clock.Now))
	rooms, err := room.New(room.Params{DB: db, Audit: log, Committee: noCommittee{}, Now: clock.Now})
	require.NoError(t, err)
	pubA, privA, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	pubB, privB, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	pubHF, privHF, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sess, err := rooms.SeedDemo(ctx, "test", room.DemoOptions{StartsAt: start, EndsAt: start.Add(time.Hour), MainKey: pubA, RemoteKey: pubHF})
	require.NoError(t, err)
	nj, hf := sess.Rooms[0], sess.Rooms[1]
	dir := t.TempDir()
	store, err := archive.NewFS(dir)
	require.NoError(t, err)
	svc, err := archive.New(archive.Params{DB: db, Store: store, Keys: archivewire.RecorderKeys{Rooms: rooms}, Audit: log, Now: clock.Now})
	require.NoError(t, err)

	// Two segments signed with key A, one from the other room.
	a := &signer{svc: svc, recorder: nj.RecorderID, room: nj.ID, session: sess.ID, start: start}
	var seg2 segment
	for i := 0; i < 2; i++ {
		clock.Advance(10 * time.Second)
		seg2, err = a.upload(t, privA)
		require.NoError(t, err)
	}
	other := &signer{svc: svc, recorder: hf.RecorderID, room: hf.ID, session: sess.ID, start: start}
	_, err = other.upload(t, privHF)
	require.NoError(t, err)

	// The room PC is replaced: key B is registered instead of A.
	clock.Advance(time.Minute)
	_, err = rooms.RegisterRecorder(ctx, "user:1", nj.ID, nj.RecorderID, pubB)
	require.NoError(t, err)

	// A manifest signed with A after B replaced it is refused, and nothing
	// is indexed; the copy of seq 2 accepted before is still known.
	clock.Advance(10 * time.Second)
	_, err = a.upload(t, privA)
	require.ErrorIs(t, err, archive.ErrBadSignature)
	require.Contains(t, err.Error(), "停用的公钥（"+evidence.Fingerprint(pubA)+"）")
	require.Contains(t, err.Error(), "现用公钥为 "+evidence.Fingerprint(pubB))
	seq, _, err := svc.ChainHead(ctx, nj.RecorderID)
	require.NoError(t, err)
	require.EqualValues(t, 2, seq)
	again, err := svc.AcceptManifest(ctx, nj.RecorderID, seg2.raw)
	require.NoError(t, err, "a retried upload of a manifest accepted before the key changed")
	require.True(t, again.AlreadyAccepted)

	// Two more segments signed with B continue the chain.
	for i := 0; i < 2; i++ {
		clock.Advance(10 * time.Second)
		_, err := a.upload(t, privB)
		require.NoError(t, err)
	}

	// The whole session verifies: each manifest with the key in force
	// when it was accepted.
	rep, err := svc.VerifySession(ctx, "test", archivewire.SessionSelection(sess, clock.Now()))
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep.First)
	require.Equal(t, 5, rep.Verified)
	env := []string{"EVALROOM_POSTGRES_DSN=" + dsn, "EVALROOM_ARCHIVE_DIR=" + dir}
	out, err := run(t, "", env, "archive", "verify", "-session", itoa(sess.ID))
	require.NoError(t, err, out)
	require.Contains(t, out, "全部通过：5 个片段")

	// The re-registration is audited with both fingerprints.
	entries, err := log.List(ctx, audit.Filter{Object: "room:" + nj.IDString(), Action: "room.register_recorder"})
	require.NoError(t, err)
	var d map[string]any
	require.NoError(t, json.Unmarshal(entries[len(entries)-1].Detail, &d))
	require.Equal(t, evidence.Fingerprint(pubB), d["fingerprint"])
	require.Equal(t, evidence.Fingerprint(pubA), d["replaced_fingerprint"])

	// The export carries both keys with their periods, is signed by the
	// server's key and verifies offline.
	master, err := seal.ParseKey(seal.GenerateKey())
	require.NoError(t, err)
	serverKey := archivewire.ExportKey(master)
	serverPub := serverKey.Public().(ed25519.PublicKey)
	file := writeExport(t, svc, sess, clock.Now(), serverKey)
	fp := evidence.Fingerprint(serverPub)
	out, err = run(t, "", nil, "archive", "verify", "-server-key", fp, file)
	require.NoError(t, err, out)
	require.Contains(t, out, "SIGNATURE 服务器签名有效，签名密钥 "+fp)
	require.NotContains(t, out, "注意", "the server's signature proves where the keys come from")
	require.Contains(t, out, "全部通过：5 个片段")
	out, err = run(t, "", nil, "archive", "verify", "--server-key="+base64.StdEncoding.EncodeToString(serverPub), file)
	require.NoError(t, err, out)
	rep2, err := evidence.VerifyFile(ctx, file, evidence.VerifyOptions{ServerKey: serverPub})
	require.NoError(t, err)
	require.True(t, rep2.OK(), "%v", rep2.First)
	var njKeys []evidence.IndexKey
	for _, r := range rep2.Index.Recorders {
		if r.Recorder == nj.RecorderID {
			njKeys = r.Keys
		}
	}
	require.Len(t, njKeys, 2)
	require.Equal(t, base64.StdEncoding.EncodeToString(pubA), njKeys[0].PublicKey)
	require.NotNil(t, njKeys[0].RetiredAt)
	require.Equal(t, base64.StdEncoding.EncodeToString(pubB), njKeys[1].PublicKey)
	require.Nil(t, njKeys[1].RetiredAt)

	// The registered keys from elsewhere (both of edge-nj-1's) prove the
	// origin too.
	keys := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(keys, []byte(evidence.KeyLine(nj.RecorderID, pubA)+"\n"+evidence.KeyLine(nj.RecorderID, pubB)+"\n"+
		evidence.KeyLine(hf.RecorderID, pubHF)+"\n"), 0o644))
	out, err = run(t, "", nil, "archive", "verify", "-keys", keys, "-server-key", fp, file)
	require.NoError(t, err, out)

	// Tampering with the key list is detected and named.
	later := time.Now().Add(time.Hour).UTC()
	widened := rewriteExport(t, file, func(name string, body []byte) []byte {
		if name != evidence.IndexName {
			return body
		}
		var idx evidence.Index
		require.NoError(t, json.Unmarshal(body, &idx))
		for i := range idx.Recorders {
			if idx.Recorders[i].Recorder == nj.RecorderID {
				idx.Recorders[i].Keys[0].RetiredAt = &later
			}
		}
		out, err := json.Marshal(idx)
		require.NoError(t, err)
		return out
	})
	out, err = run(t, "", nil, "archive", "verify", "-server-key", fp, widened)
	require.ErrorIs(t, err, errArchiveBroken, out)
	require.Contains(t, out, "ALTERED   export.json")
	forgedPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	forged := rewriteExport(t, file, func(name string, body []byte) []byte {
		if name == evidence.KeysName {
			return append(body, []byte(evidence.KeyLine(nj.RecorderID, forgedPub)+"\n")...)
		}
		return body
	})
	out, err = run(t, "", nil, "archive", "verify", "-server-key", fp, forged)
	require.ErrorIs(t, err, errArchiveBroken, out)
	require.Contains(t, out, "ALTERED   keys.txt")
	require.Contains(t, out, "公钥列表被改动 (key list altered)")
}

// writeExport writes the session's export signed with key to a file.
func writeExport(t *testing.T, svc *archive.Service, sess room.Session, now time.Time, key ed25519.PrivateKey) string {
	t.Helper()
	x, err := svc.PrepareExport(context.Background(), archive.ExportRequest{Actor: "user:2",
		Selection: archivewire.SessionSelection(sess, now), SessionRef: sess.Ref, Signer: key})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = x.Write(context.Background(), &buf)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), x.FileName)
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}
