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
// (mode 0600) on first start so tokens survive restarts.
func (c Config) SigningKey(log *slog.Logger) ([]byte, error) {
	if c.SecretKey != "" {
		return []byte(c.SecretKey), nil
	}
	path := c.SecretKeyPath()
	if b, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < 32 {
			return nil, fmt.Errorf("secret key file %s holds %d bytes, at least 32 are needed: delete it to generate a new one", path, len(key))
		}
		return []byte(key), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read secret key file: %w", err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process created it first: use theirs
		return c.SigningKey(log)
	}
	if err != nil {
		return nil, fmt.Errorf("create secret key file: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(key + "\n"); err != nil {
		return nil, fmt.Errorf("write secret key file: %w", err)
	}
	log.Warn("SECRET_KEY is not set: generated a random key and stored it; set SECRET_KEY in production, shared by every instance", "path", path)
	return []byte(key), nil
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
