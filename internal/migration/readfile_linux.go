package migration

import "syscall"

// dirReader reads files of one directory through a descriptor of the directory: openat with
// the bare name skips resolving the directory's path again for each file, and raw system calls
// skip what an *os.File costs (registering with the poller, which refuses regular files, and
// its cleanup), about a third of reading a 1,000-file history.
// A dirReader is used by one goroutine at a time; fork gives each worker its own.
type dirReader struct {
	fd  int
	buf []byte // the first read of each file
}

func openDirReader(dir string) (*dirReader, error) {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &dirReader{fd: fd}, nil
}

// fork returns a reader of the same directory with a buffer of its own, for another goroutine.
func (d *dirReader) fork() *dirReader { return &dirReader{fd: d.fd} }

// read returns the content of the file name of the directory, as os.ReadFile does. A file
// shorter than the reader's buffer takes three system calls (openat, read, close): a read
// that returns less than it asked for is taken as the file's end, where os.ReadFile stats the
// file and reads again to see the end. A regular file of a local file system only reads short
// at its end; should one read short elsewhere, its content differs from what atlas.sum hashed,
// and a mismatch is verified again the Atlas way (readDir), never accepted. A longer file is
// read to its end.
func (d *dirReader) read(name string) ([]byte, error) {
	fd, err := openat(d.fd, name)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	if d.buf == nil {
		d.buf = make([]byte, readBuffer)
	}
	n, err := readFD(fd, d.buf)
	if err != nil {
		return nil, err
	}
	if n < len(d.buf) {
		return append([]byte(nil), d.buf[:n]...), nil
	}
	var st syscall.Stat_t
	if err := fstat(fd, &st); err != nil {
		return nil, err
	}
	size := 2 * n
	if st.Size > int64(n) && st.Size < 1<<30 {
		size = int(st.Size) + 1 // one byte more, to see the end without growing
	}
	b := append(make([]byte, 0, size), d.buf[:n]...)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := readFD(fd, b[len(b):cap(b)])
		if n > 0 {
			b = b[:len(b)+n]
		}
		switch {
		case err != nil:
			return nil, err
		case n == 0:
			return b, nil
		}
	}
}

func (d *dirReader) close() { syscall.Close(d.fd) }

func openat(dirfd int, name string) (int, error) {
	for {
		fd, err := syscall.Openat(dirfd, name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func fstat(fd int, st *syscall.Stat_t) error {
	for {
		if err := syscall.Fstat(fd, st); err != syscall.EINTR {
			return err
		}
	}
}

func readFD(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, b)
		if err != syscall.EINTR {
			return max(n, 0), err
		}
	}
}
