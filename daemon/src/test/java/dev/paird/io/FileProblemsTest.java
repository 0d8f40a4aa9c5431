package dev.paird.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

final class FileProblemsTest {
  private static final Path LOCK = Path.of("/var/lib/paird/paird.lock");

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
}
