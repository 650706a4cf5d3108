package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// SigningKey returns SECRET_KEY, or the key kept in SecretKeyPath, generating and storing a random one
// (mode 0600) on first start so tokens survive restarts. The file is written atomically (a temporary
// file, fsync, then linked into place, so a crash never leaves a half-written key and two instances
// starting together agree on one key). A key file that others than its owner may read is made 0600
// again, with a warning (the key may have been read: rotate it); one that cannot be fixed fails.
func (c Config) SigningKey(log *slog.Logger) ([]byte, error) {
	if c.SecretKey != "" {
		return []byte(c.SecretKey), nil
	}
	path := c.SecretKeyPath()
	if key, err := readKeyFile(path, log); err == nil || !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	created, err := writeFileAtomic(path, []byte(key+"\n"))
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if !created { // another process created it first: use theirs
		return readKeyFile(path, log)
	}
	log.Warn("SECRET_KEY is not set: generated a random key and stored it; set SECRET_KEY in production, shared by every instance", "path", path)
	return []byte(key), nil
}

// readKeyFile reads a stored key, checking the file's permissions first.
func readKeyFile(path string, log *slog.Logger) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, fmt.Errorf("secret key file %s is readable by others (mode %#o) and cannot be made 0600: %w; fix its mode or set SECRET_KEY", path, perm, err)
		}
		log.Warn("secret key file was readable by others: made it 0600; the key may have been read, so delete the file (all tokens end) or set a new SECRET_KEY", "path", path, "mode", fmt.Sprintf("%#o", perm))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret key file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < 32 {
		return nil, fmt.Errorf("secret key file %s holds %d bytes, at least 32 are needed: delete it to generate a new one", path, len(key))
	}
	return []byte(key), nil
}

// writeFileAtomic puts data at path (mode 0600) unless a file is already there (created false): it
// writes a temporary file beside it, syncs it, and links it into place, which fails rather than
// replace a file another process created meanwhile; the folder is synced so the name survives a crash.
func writeFileAtomic(path string, data []byte) (created bool, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		return false, err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return true, nil
}

// SecretKeyPath is where a generated key is kept: SECRET_KEY_FILE, else beside the SQLite database,
// else in the working directory.
func (c Config) SecretKeyPath() string {
	if c.SecretKeyFile != "" {
		return c.SecretKeyFile
	}
	if engine, path, err := ParseDatabaseURL(c.DatabaseURL); err == nil && engine == SQLite {
		return filepath.Join(filepath.Dir(path), ".secret_key")
	}
	return ".secret_key"
}
