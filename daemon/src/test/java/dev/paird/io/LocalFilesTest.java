package dev.paird.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class LocalFilesTest {
  @TempDir Path dir;

  @Test
  void checkPrivateDirectory_ownAndClosed_passes() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));

    LocalFiles.checkPrivateDirectory(dir);
  }

  @Test
  void checkPrivateDirectory_groupWritable_isRefusedWithItsMode() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));

    assertThatThrownBy(() -> LocalFiles.checkPrivateDirectory(dir))
        .isInstanceOf(LocalFiles.UnsafeFileException.class)
        .hasMessageContaining("(mode 0770)")
        .hasMessageContaining("`chmod 700 " + dir + "`");
  }

  @Test
  void readRegularFile_missing_isEmpty() throws Exception {
    assertThat(LocalFiles.readRegularFile(dir.resolve("none"), 10)).isEmpty();
  }

  @Test
  void readRegularFile_readsAtMostOneByteMoreThanTheLimit() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "0123456789");

    assertThat(LocalFiles.readRegularFile(file, 4))
        .hasValueSatisfying(bytes -> assertThat(bytes).hasSize(5));
  }

  @Test
  void readRegularFile_symlink_isRefusedNotFollowed() throws Exception {
    Path target = Files.writeString(dir.resolve("target"), "text");
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);

    assertThatThrownBy(() -> LocalFiles.readRegularFile(link, 10))
        .isInstanceOf(LocalFiles.UnsafeFileException.class)
        .hasMessageContaining("symbolic link");
  }

  @Test
  void mode_isWrittenInOctalAsChmodTakesIt() throws Exception {
    Path file = Files.createFile(dir.resolve("f"));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-x--x"));

    assertThat(LocalFiles.mode(Files.readAttributes(file, PosixFileAttributes.class)))
        .isEqualTo("0651");
  }
}
