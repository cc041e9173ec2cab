package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// sync asks the archive where this recorder's chain stands and adopts its
// head as acknowledged when the spool holds that very manifest. The
// chains diverged (ErrDiverged) when the head is another manifest, one
// the spool does not hold, or behind what the archive acknowledged
// before.
func (u *Uploader) sync(ctx context.Context, l *listing) error {
	h, err := u.api.chain(ctx)
	if err != nil {
		return refusalAlarm(err, "查询录像链的请求")
	}
	if u.st.Recorder != "" && u.st.Recorder != h.Recorder {
		return newAlarm(ErrDiverged, nil, "本机上传记录属于录像设备 %s，设备令牌却属于 %s：停止上传，请核查", u.st.Recorder, h.Recorder)
	}
	if h.Seq < u.st.Acked {
		return newAlarm(ErrDiverged, nil, "归档服务器的录像链停在序号 %d，落后于它已确认的序号 %d：服务器可能丢失了已确认的录像，停止上传，请核查",
			h.Seq, u.st.Acked)
	}
	if h.Seq > 0 {
		bySeq, _ := l.chain(h.Recorder)
		e, ok := bySeq[h.Seq]
		if !ok {
			return newAlarm(ErrDiverged, nil, "归档服务器的录像链已到序号 %d，本机没有该序号的清单，无法核对：停止上传，请核查", h.Seq)
		}
		if e.link != h.ManifestHash {
			return newAlarm(ErrDiverged, nil, "序号 %d 的清单哈希与归档服务器不一致（本机 %s，服务器 %s）：录像链已分叉，停止上传，请核查",
				h.Seq, e.link, h.ManifestHash)
		}
	}
	if h.Seq > u.st.Acked || u.st.Recorder == "" {
		if err := u.ack(state{Recorder: h.Recorder, Acked: h.Seq, ManifestHash: h.ManifestHash}, -1); err != nil {
			return err
		}
	}
	u.synced = true
	return nil
}

// upload sends the pending manifests in chain order, each after its
// segment, until none is left or one fails.
func (u *Uploader) upload(ctx context.Context, l *listing) error {
	if !u.synced {
		if err := u.sync(ctx, l); err != nil {
			return err
		}
	}
	bySeq, dups := l.chain(u.st.Recorder)
	var pending []entry
	for _, e := range l.entries {
		if e.seq > u.st.Acked && bySeq[e.seq].file == e.file {
			pending = append(pending, e)
		}
	}
	for i, e := range pending {
		// A new archive chain starts at the spool's first manifest;
		// after that every seq follows the acknowledged one.
		if want := u.st.Acked + 1; (u.st.Acked > 0 || i > 0) && e.seq != want {
			return newAlarm(ErrSpool, nil, "本机缺少序号 %d 的清单，其后 %d 份清单无法上传：请核查录像缓存", want, len(pending)-i)
		}
		if dups[e.seq] {
			return newAlarm(ErrSpool, nil, "本机有两份不同的序号 %d 清单：停止上传，请核查录像缓存", e.seq)
		}
		if err := u.send(ctx, e, l); err != nil {
			return err
		}
	}
	return nil
}

// send uploads one manifest: the segment's bytes unless the archive holds
// them (HEAD), then the manifest, whose acceptance is the acknowledgement.
func (u *Uploader) send(ctx context.Context, e entry, l *listing) (err error) {
	defer func() {
		var al *alarm
		if errors.As(err, &al) {
			delete(u.keys, e.seq) // the file may be put right: hash it again
		}
	}()
	path := filepath.Join(u.p.Dir, e.segment)
	_, onDisk := l.files[e.segment]
	key, err := u.storeKey(e, path)
	if errors.Is(err, fs.ErrNotExist) {
		return newAlarm(ErrSpool, err, "序号 %d 的片段文件 %s 缺失，无法上传：请核查录像缓存", e.seq, e.segment)
	}
	if err != nil {
		return err
	}
	has, err := u.api.has(ctx, key)
	if err != nil {
		return refusalAlarm(err, fmt.Sprintf("序号 %d 的片段查询", e.seq))
	}
	if !has {
		if !onDisk {
			return newAlarm(ErrSpool, nil, "序号 %d 的片段文件 %s 缺失，归档服务器也没有：请核查录像缓存", e.seq, e.segment)
		}
		if err := u.api.put(ctx, key, path); err != nil {
			return refusalAlarm(err, fmt.Sprintf("序号 %d 的片段 %s", e.seq, e.segment))
		}
	}
	raw, err := os.ReadFile(filepath.Join(u.p.Dir, e.file))
	if err != nil {
		return fmt.Errorf("read manifest %s: %w", e.file, err)
	}
	a, err := u.api.post(ctx, key, raw)
	if err != nil {
		return refusalAlarm(err, fmt.Sprintf("序号 %d 的清单", e.seq))
	}
	if a.Segment.Seq != e.seq || a.Segment.ManifestHash != e.link {
		return newAlarm(ErrDiverged, nil, "归档服务器对序号 %d 的确认与本机清单不符（服务器序号 %d，清单哈希 %s）：停止上传，请核查",
			e.seq, a.Segment.Seq, a.Segment.ManifestHash)
	}
	if err := u.ack(state{Recorder: e.recorder, Acked: e.seq, ManifestHash: e.link}, e.size); err != nil {
		return err
	}
	delete(u.keys, e.seq)
	u.log.Info("segment uploaded", "seq", e.seq, "segment", e.segment, "bytes", e.size, "already_accepted", a.AlreadyAccepted)
	return nil
}

// ack records what the archive acknowledged: the state file first, then
// the Status. uploaded is the size of the segment this uploader just sent
// (-1 for a head adopted from the archive).
func (u *Uploader) ack(st state, uploaded int64) error {
	if err := st.save(u.statePath); err != nil {
		return err
	}
	u.st = st
	u.mu.Lock()
	defer u.mu.Unlock()
	u.status.AckedSeq = st.Acked
	if uploaded >= 0 {
		// Uploads flow again: the refusal that stopped them is over.
		u.status.LastUpload = u.p.Now().UTC()
		u.status.Pending = max(u.status.Pending-1, 0)
		u.status.PendingBytes = max(u.status.PendingBytes-uploaded, 0)
		u.setAlarm(&u.uploadAlarm, "")
		u.status.Alarm = u.quotaAlarm
	}
	return nil
}

// storeKey is the segment's key in the archive's store: the hex SHA-256
// of its bytes, which a SHA-256 manifest carries and an SM3 manifest's
// segment is hashed for (once per seq).
func (u *Uploader) storeKey(e entry, path string) (string, error) {
	if e.alg == manifest.SHA256 {
		return e.hash.String(), nil
	}
	if k, ok := u.keys[e.seq]; ok {
		return k, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash segment %s: %w", e.segment, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash segment %s: %w", e.segment, err)
	}
	k := hex.EncodeToString(h.Sum(nil))
	u.keys[e.seq] = k
	return k, nil
}
