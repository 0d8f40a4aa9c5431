package dev.paird.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link AtomicFiles} promises when a step fails: an earlier step leaves the target as it was
 * and no temporary file behind; only a failed directory fsync leaves the new content.
 */
final class AtomicFilesTest {
  private static final byte[] OLD = "old\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NEW = "new\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  @Test
  void write_replacesTheContentWithTheGivenMode() throws Exception {
    Path target = Files.write(dir.resolve("state.json"), OLD);

    AtomicFiles.write(target, NEW, AtomicFiles.PRIVATE);

    assertThat(target).hasBinaryContent(NEW);
    assertThat(Files.getPosixFilePermissions(target)).isEqualTo(AtomicFiles.PRIVATE);
    assertThat(names(dir)).containsExactly("state.json");
  }

  @Test
  void replace_replacesTheContentWithTheGivenMode_andLeavesNoTemporaryFile() throws Exception {
    Path target = Files.write(dir.resolve("trusted.pem"), OLD);

    AtomicFiles.replace(target, NEW, AtomicFiles.PUBLIC);

    assertThat(target).hasBinaryContent(NEW);
    assertThat(Files.getPosixFilePermissions(target)).isEqualTo(AtomicFiles.PUBLIC);
    assertThat(names(dir)).containsExactly("trusted.pem");
  }

  @Test
  void replace_targetIsADirectory_failsAndRemovesTheTemporaryFile() throws Exception {
    Path target = Files.createDirectory(dir.resolve("trusted.pem"));

    assertThatThrownBy(() -> AtomicFiles.replace(target, NEW, AtomicFiles.PUBLIC))
        .isInstanceOf(FileSystemException.class);
    assertThat(target).isDirectory();
    assertThat(names(dir)).containsExactly("trusted.pem");
  }

  @Test
  void write_parts_writesTheirConcatenation() throws Exception {
    Path target = Files.write(dir.resolve("bundle.pem"), OLD);
    // Parts that straddle the copy buffer's edges, an empty one and one larger than the buffer.
    List<byte[]> parts = new ArrayList<>();
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    for (int size : new int[] {1, 0, 65_535, 2, 200_000, 700, 700}) {
      byte[] part = new byte[size];
      Arrays.fill(part, (byte) ('a' + parts.size()));
      parts.add(part);
      whole.write(part);
    }

    AtomicFiles.write(target, parts, AtomicFiles.PUBLIC);

    assertThat(target).hasBinaryContent(whole.toByteArray());
    assertThat(Files.getPosixFilePermissions(target)).isEqualTo(AtomicFiles.PUBLIC);
    assertThat(names(dir)).containsExactly("bundle.pem");
  }

  @Test
  void writeFlushingDirectoryLater_replacesTheContent() throws Exception {
    Path target = Files.write(dir.resolve("bundle.pem"), OLD);

    AtomicFiles.writeFlushingDirectoryLater(target, List.of(NEW, OLD), AtomicFiles.PUBLIC);

    byte[] both = Arrays.copyOf(NEW, NEW.length + OLD.length);
    System.arraycopy(OLD, 0, both, NEW.length, OLD.length);
    assertThat(target).hasBinaryContent(both);
    assertThat(names(dir)).containsExactly("bundle.pem");
  }

  @Test
  void write_directoryMissing_failsAndCreatesNothing() {
    Path target = dir.resolve("missing").resolve("state.json");

    assertThatThrownBy(() -> AtomicFiles.write(target, NEW, AtomicFiles.PUBLIC))
        .isInstanceOf(NoSuchFileException.class)
        .isNotInstanceOf(AtomicFiles.NotDurableException.class);
    assertThat(dir.resolve("missing")).doesNotExist();
  }

  @Test
  void write_directoryNotWritable_failsAndLeavesTheTargetAsItWas() throws Exception {
    Path target = Files.write(dir.resolve("state.json"), OLD);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
    try {
      // root writes into any directory whatever its mode; there the case cannot be made.
      assumeFalse(Files.isWritable(dir), "running as root: chmod does not stop writing");

      assertThatThrownBy(() -> AtomicFiles.write(target, NEW, AtomicFiles.PUBLIC))
          .isInstanceOf(IOException.class)
          .isNotInstanceOf(AtomicFiles.NotDurableException.class);
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    assertThat(target).hasBinaryContent(OLD);
    assertThat(names(dir)).containsExactly("state.json");
  }

  @Test
  void write_targetIsADirectory_failsAtTheRenameAndRemovesTheTemporaryFile() throws Exception {
    Path target = Files.createDirectory(dir.resolve("state.json"));
    Files.write(target.resolve("inside"), OLD);

    assertThatThrownBy(() -> AtomicFiles.write(target, NEW, AtomicFiles.PUBLIC))
        .isInstanceOf(FileSystemException.class)
        .isNotInstanceOf(AtomicFiles.NotDurableException.class);
    assertThat(target).isDirectory();
    assertThat(target.resolve("inside")).hasBinaryContent(OLD);
    assertThat(names(dir)).containsExactly("state.json");
  }

  @Test
  void write_directoryCannotBeOpenedForFsync_isNotDurableWithTheNewContentInPlace()
      throws Exception {
    Path target = Files.write(dir.resolve("state.json"), OLD);
    // Writable and searchable but not readable: the file can be replaced, the directory not
    // opened to be flushed.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("-wx------"));
    try {
      assumeFalse(Files.isReadable(dir), "running as root: chmod does not stop reading");

      assertThatThrownBy(() -> AtomicFiles.write(target, NEW, AtomicFiles.PUBLIC))
          .isInstanceOf(AtomicFiles.NotDurableException.class)
          .hasMessageContaining(target.toString());
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    assertThat(target).hasBinaryContent(NEW);
    assertThat(names(dir)).containsExactly("state.json");
  }

  @Test
  void fsyncDirectory_missing_throws() {
    assertThatThrownBy(() -> AtomicFiles.fsyncDirectory(dir.resolve("missing")))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void fsyncDirectory_existing_returns() throws Exception {
    AtomicFiles.fsyncDirectory(dir);

    assertThat(dir).isDirectory();
  }

  @Test
  void removeLeftovers_deletesOnlyThatTargetsTemporaryFiles() throws Exception {
    Path target = Files.write(dir.resolve("state.json"), OLD);
    Files.write(dir.resolve(".state.json.tmp-0123456789ab"), NEW);
    Files.write(dir.resolve(".state.json.tmp-"), NEW);
    Files.write(dir.resolve(".other.json.tmp-0123456789ab"), NEW);
    Files.write(dir.resolve("state.json.tmp-0123456789ab"), NEW);

    AtomicFiles.removeLeftovers(target);

    assertThat(names(dir))
        .containsExactlyInAnyOrder(
            "state.json", ".other.json.tmp-0123456789ab", "state.json.tmp-0123456789ab");
    assertThat(target).hasBinaryContent(OLD);
  }

  @Test
  void removeLeftovers_directoryMissing_doesNothing() throws Exception {
    AtomicFiles.removeLeftovers(dir.resolve("missing").resolve("state.json"));

    assertThat(dir.resolve("missing")).doesNotExist();
  }

  @Test
  void write_afterACrashLeftATemporaryFile_succeedsBesideIt() throws Exception {
    Path target = Files.write(dir.resolve("state.json"), OLD);
    Path leftover = Files.write(dir.resolve(".state.json.tmp-0123456789ab"), OLD);

    AtomicFiles.write(target, NEW, AtomicFiles.PUBLIC);

    assertThat(target).hasBinaryContent(NEW);
    assertThat(leftover).hasBinaryContent(OLD);
  }

  @Test
  void createDirectory_fileInTheWay_failsSayingNotADirectory() throws Exception {
    Path file = Files.write(dir.resolve("state"), OLD);

    assertThatThrownBy(() -> AtomicFiles.createDirectory(file, AtomicFiles.PRIVATE))
        .isInstanceOf(FileSystemException.class)
        .hasMessageContaining("not a directory");
    assertThat(file).hasBinaryContent(OLD);
  }

  @Test
  void createDirectory_fileInPlaceOfAParent_failsSayingNotADirectory() throws Exception {
    Path file = Files.write(dir.resolve("state"), OLD);

    assertThatThrownBy(() -> AtomicFiles.createDirectory(file.resolve("sub"), AtomicFiles.PRIVATE))
        .isInstanceOf(FileSystemException.class)
        .hasMessageContaining("not a directory");
  }

  @Test
  void createDirectory_new_hasExactlyTheGivenMode() throws Exception {
    Path created = dir.resolve("a").resolve("state");

    AtomicFiles.createDirectory(created, PosixFilePermissions.fromString("rwx------"));

    assertThat(created).isDirectory();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created)))
        .isEqualTo("rwx------");
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }
}
