// Package templates holds the HTML templates and static assets, embedded in
// the binary so that the service is one file.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed *.html static
var files embed.FS

// Pages is the templates, one file a page; layout.html holds the shared
// frame every page uses.
func Pages() fs.FS { return files }

// Static is the stylesheet and the script that only enhances the pages.
// Only files open: a directory is "not found", so a file server lists none.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return filesOnly{sub}
}

type filesOnly struct{ fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if info, err := file.Stat(); err != nil || info.IsDir() {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return file, nil
}
