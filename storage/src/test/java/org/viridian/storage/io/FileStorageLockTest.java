package org.viridian.storage.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The "in use" rule of image files (one writer or many readers), in this process and after an interrupted write. */
class FileStorageLockTest {
    @TempDir
    Path dir;

    @Test
    void oneWriterOrManyReaders() throws IOException {
        Path f = dir.resolve("a.img");
        Files.write(f, new byte[4096]);
        try (FileStorage w = FileStorage.open(f, false)) {
            assertThatThrownBy(() -> FileStorage.open(f, true))
                    .hasMessageContaining("image is in use (opened for writing by someone else)");
        }
        try (FileStorage r1 = FileStorage.open(f, true);
                FileStorage r2 = FileStorage.open(f, true)) {
            assertThatThrownBy(() -> FileStorage.open(f, false))
                    .hasMessageContaining("image is in use (locked by another reader or writer)");
        }
        FileStorage.open(f, false).close();
    }

    /**
     * A write interrupted (a cancelled conversion) closes the channel under the storage; closing the storage must still
     * free the file, else the file — or a new one given the same inode after it is deleted — stays "in use".
     */
    @Test
    void anInterruptedWriteStillFreesTheFileOnClose() throws IOException {
        Path f = dir.resolve("b.img");
        Files.write(f, new byte[4096]);
        FileStorage w = FileStorage.open(f, false);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> w.write(ByteBuffer.allocate(512), 0))
                    .isInstanceOf(ClosedByInterruptException.class);
        } finally {
            Thread.interrupted();
        }
        w.close();
        try (FileStorage again = FileStorage.open(f, false)) {
            assertThat(again.size()).isEqualTo(4096);
        }
        try (FileStorage reader = FileStorage.open(f, true)) {
            assertThat(reader.readOnly()).isTrue();
        }
    }
}
