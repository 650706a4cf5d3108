package file

import (
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFilenameBytes bounds a stored filename: the common filesystem limit, so a name can be saved
// back to disk as shown.
const MaxFilenameBytes = 255

// fallbackName names a file whose client-given name is empty once cleaned.
const fallbackName = "upload"

// searchable maps each extension file_search can read to its MIME type: OpenAI's list of
// supported files (platform.openai.com/docs/assistants/tools/file-search#supported-files).
// OpenAI decides by the extension, so this does too.
var searchable = map[string]string{
	".c":    "text/x-c",
	".cpp":  "text/x-c++",
	".cs":   "text/x-csharp",
	".css":  "text/css",
	".doc":  "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".go":   "text/x-golang",
	".html": "text/html",
	".java": "text/x-java",
	".js":   "text/javascript",
	".json": "application/json",
	".md":   "text/markdown",
	".pdf":  "application/pdf",
	".php":  "text/x-php",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".py":   "text/x-python",
	".rb":   "text/x-ruby",
	".sh":   "application/x-sh",
	".tex":  "text/x-tex",
	".ts":   "application/typescript",
	".txt":  "text/plain",
}

// otherTypes names common formats file_search cannot read, so their stored type does not depend on
// the MIME tables of the machine the server runs on.
var otherTypes = map[string]string{
	".csv":  "text/csv",
	".tsv":  "text/tab-separated-values",
	".xml":  "application/xml",
	".yaml": "application/yaml",
	".yml":  "application/yaml",
	".htm":  "text/html",
	".rtf":  "application/rtf",
	".odt":  "application/vnd.oasis.opendocument.text",
	".epub": "application/epub+zip",
	".xls":  "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".ppt":  "application/vnd.ms-powerpoint",
	".zip":  "application/zip",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".svg":  "image/svg+xml",
	".mp3":  "audio/mpeg",
	".mp4":  "video/mp4",
}

// SearchableFormats lists the extensions file_search can read, sorted.
func SearchableFormats() []string {
	exts := make([]string, 0, len(searchable))
	for e := range searchable {
		exts = append(exts, e)
	}
	slices.Sort(exts)
	return exts
}

// unsupportedDetail is the status_detail of a file file_search cannot read.
var unsupportedDetail = "file_search cannot read this format, so the file is kept but not searched in chat; " +
	"readable formats: " + strings.Join(SearchableFormats(), " ")

// ext is a name's extension, lower-cased ("" for none).
func ext(name string) string { return strings.ToLower(path.Ext(name)) }

// Searchable reports whether file_search can read a file of this name.
func Searchable(name string) bool { return searchable[ext(name)] != "" }

// CleanFilename makes a client-given filename safe to keep and show: no directories (either
// separator: clients send Windows paths too), no control or invisible format characters (which
// could break logs or disguise the real extension, e.g. U+202E), valid UTF-8, trimmed, at most
// MaxFilenameBytes with the extension kept. It returns "" when nothing is left.
func CleanFilename(raw string) string {
	name := strings.ToValidUTF8(raw, "")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if strings.Trim(name, ".") == "" { // "", ".", "..": no name at all
		return ""
	}
	if len(name) <= MaxFilenameBytes {
		return name
	}
	e := path.Ext(name)
	if len(e) > 16 {
		e = "" // not a real extension; cut like the rest of the name
	}
	stem := name[:len(name)-len(e)]
	return strings.TrimSpace(cutUTF8(stem, MaxFilenameBytes-len(e))) + e
}

// cutUTF8 shortens s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ContentType decides a file's type from its name and its first bytes (never from what the client
// claims): the extension's type, unless the name promises text and the content is not text, in
// which case the content wins. Unknown extensions take the sniffed type.
func ContentType(name string, head []byte) string {
	sniffed := baseType(http.DetectContentType(head))
	e := ext(name)
	byName := searchable[e]
	if byName == "" {
		byName = otherTypes[e]
	}
	if byName == "" && e != "" {
		if t := mime.TypeByExtension(e); t != "" {
			byName = baseType(t)
		}
	}
	switch {
	case byName == "":
		return sniffed
	case textual(byName) && !textual(sniffed):
		return sniffed
	}
	return byName
}

// defaultName is the name of a file that came without one: "upload" with an extension for the
// sniffed type when file_search can read it (so a nameless PDF is still searched).
func defaultName(head []byte) string {
	sniffed := baseType(http.DetectContentType(head))
	for _, e := range SearchableFormats() {
		if searchable[e] == sniffed {
			return fallbackName + e
		}
	}
	return fallbackName
}

func baseType(t string) string {
	mt, _, err := mime.ParseMediaType(t)
	if err != nil {
		return "application/octet-stream"
	}
	return mt
}

// textual reports whether a type is text a browser or editor would show as such.
func textual(t string) bool {
	if strings.HasPrefix(t, "text/") {
		return true
	}
	switch t {
	case "application/json", "application/typescript", "application/x-sh", "application/xml",
		"application/yaml", "image/svg+xml", "application/javascript":
		return true
	}
	return false
}
