package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class FileProblemsTest {
  private static final Path LOCK = Path.of("/var/lib/paird/paird.lock");

  @TempDir Path dir;

  @Test
  void reason_accessDenied_isTheReasonNotThePath() {
    assertThat(FileProblems.reason(new AccessDeniedException(LOCK.toString()), LOCK))
        .isEqualTo("permission denied");
  }

  @Test
  void reason_failureOfAnotherFile_namesThatFile() {
    assertThat(FileProblems.reason(new AccessDeniedException("/var/lib/paird"), LOCK))
        .isEqualTo("/var/lib/paird: permission denied");
  }

  @Test
  void reason_missingFile_isTheReasonNotThePath() {
    Path missing = dir.resolve("missing");
    NoSuchFileException e = readAttributes(missing);

    assertThat(FileProblems.reason(e)).isEqualTo("no such file");
    assertThat(FileProblems.reason(e, missing)).isEqualTo("no such file");
  }

  @Test
  void reason_javaIoFailure_dropsThePathAroundTheReason() throws IOException {
    Path missing = dir.resolve("missing");
    FileNotFoundException e = null;
    try (FileInputStream in = new FileInputStream(missing.toFile())) {
      in.read();
    } catch (FileNotFoundException thrown) {
      e = thrown;
    }

    assertThat(e).isNotNull();
    assertThat(FileProblems.reason(e)).doesNotContain(missing.toString()).isNotBlank();
  }

  @Test
  void reason_exceptionWithoutMessage_isItsKind() {
    assertThat(FileProblems.reason(new IOException())).isEqualTo("IOException");
  }

  private static NoSuchFileException readAttributes(Path missing) {
    try {
      Files.readAttributes(missing, "unix:mode");
    } catch (NoSuchFileException e) {
      return e;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError(missing + " exists");
  }
}
