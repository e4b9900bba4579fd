package org.viridian.storage;

import java.nio.file.Path;

/** Bytes of a disk that lie unchanged in a file: {@code length} bytes at {@code offset} of {@code file}. */
public record FileExtent(Path file, long offset, long length) {}
