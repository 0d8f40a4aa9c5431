package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launch script's use of the native libraries that the package keeps unpacked in {@code
 * lib/paird/native}, in a layout like the package's: the script copied to {@code bin}, the jars of
 * "mvn package" as {@code share/paird/lib/daemon}, and the libraries of this platform's native jars
 * unpacked as build-packages.sh does. Which copy of a library the JVM loaded is read from paird's
 * memory map: one loaded in place is mapped from the directory, one that Netty unpacked is mapped
 * from the temporary directory and already deleted.
 *
 * <p>The directory counts only if root owns it, so these tests run as root (as CI does).
 */
final class NativeLibraryIT {
  @TempDir Path tmp;

  private Path prefix;
  private Path nativeDir;
  private Path unpackDir;
  private String arch;

  @BeforeEach
  void installedLayout() throws IOException {
    assumeTrue(
        Files.getAttribute(tmp, "unix:uid").equals(0),
        "needs root: the launcher trusts only a directory root owns");
    prefix = tmp.resolve("usr");
    Path bin = Files.createDirectories(prefix.resolve("bin"));
    Files.copy(PairdProcess.PAIRD, bin.resolve("paird"));
    Files.setPosixFilePermissions(
        bin.resolve("paird"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Path share = Files.createDirectories(prefix.resolve("share/paird/lib"));
    Path jars = PairdProcess.REPO.resolve("daemon/target/lib");
    Files.createSymbolicLink(share.resolve("daemon"), jars);

    arch = System.getProperty("os.arch").equals("aarch64") ? "aarch_64" : "x86_64";
    nativeDir = Files.createDirectories(prefix.resolve("lib/paird/native"));
    List<String> sources = new ArrayList<>();
    try (Stream<Path> all = Files.list(jars)) {
      for (Path jar : all.filter(j -> j.toString().endsWith("-linux-" + arch + ".jar")).toList()) {
        if (unpackNatives(jar, nativeDir)) {
          sources.add(jar.getFileName().toString());
        }
      }
    }
    assertThat(sources).as("native jars in %s", jars).hasSize(2);
    Files.write(nativeDir.resolve("jars"), sources);
    // The modes of the package's files, whatever the umask of the build.
    try (Stream<Path> files = Files.list(nativeDir)) {
      for (Path file : files.toList()) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    Files.setPosixFilePermissions(nativeDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    unpackDir = Files.createDirectories(tmp.resolve("java-tmp"));
  }

  @Test
  void installedLayout_loadsTheNativeLibrariesInPlace_andUnpacksNone() throws Exception {
    assertThat(nettyLibrariesMapped())
        .containsExactly(
            nativeDir.resolve("libnetty_tcnative_linux_" + arch + ".so").toString(),
            nativeDir.resolve("libnetty_transport_native_epoll_" + arch + ".so").toString());
  }

  @Test
  void groupWritableDirectory_isNotUsed_andNettyUnpacksItsOwnCopies() throws Exception {
    Files.setPosixFilePermissions(nativeDir, PosixFilePermissions.fromString("rwxrwxr-x"));

    assertUnpackedByNetty(nettyLibrariesMapped());
  }

  @Test
  void librariesOfOtherJars_areNotUsed_andNettyUnpacksItsOwnCopies() throws Exception {
    Files.write(
        nativeDir.resolve("jars"),
        List.of("netty-tcnative-boringssl-static-2.0.0.Final-linux-" + arch + ".jar"));

    assertUnpackedByNetty(nettyLibrariesMapped());
  }

  @Test
  void noUsableDirectory_andNowhereToUnpack_stopsWithAMessageNamingBothWays() throws Exception {
    Files.setPosixFilePermissions(nativeDir, PosixFilePermissions.fromString("rwxrwxr-x"));
    // Netty unpacks into io.netty.native.workdir when it is set; a regular file cannot hold one.
    Path notADirectory = Files.writeString(tmp.resolve("not-a-directory"), "");

    try (PairdProcess paird = inLayout("-Dio.netty.native.workdir=" + notADirectory).launch()) {
      assertThat(paird.awaitExit()).isEqualTo(1);
      String line =
          paird.awaitLogLine(
              l -> l.contains("cannot start"), "saying why it cannot start", Duration.ofSeconds(5));
      assertThat(line)
          .contains("/usr/lib/paird/native")
          .contains("java.io.tmpdir")
          .contains("the log names the cause")
          .doesNotContain(notADirectory.toString());
      paird.awaitLogLine(
          l -> l.contains("epoll cannot be loaded"), "with the cause", Duration.ofSeconds(5));
    }
  }

  private void assertUnpackedByNetty(Set<String> mapped) {
    assertThat(mapped)
        .hasSize(2)
        .allSatisfy(
            library ->
                assertThat(library).startsWith(unpackDir + "/libnetty_").endsWith(" (deleted)"));
  }

  /** Starts paird in the layout, ready, and returns the Netty libraries its memory map names. */
  private Set<String> nettyLibrariesMapped() throws Exception {
    try (PairdProcess paird = inLayout("-Djava.io.tmpdir=" + unpackDir).start()) {
      Set<String> libraries = new TreeSet<>();
      for (String line : Files.readAllLines(Path.of("/proc/" + paird.pid() + "/maps"))) {
        // address perms offset device inode path, the path possibly followed by " (deleted)"
        String[] fields = line.trim().split("\\s+", 6);
        if (fields.length == 6 && fields[5].contains("libnetty_")) {
          libraries.add(fields[5]);
        }
      }
      return libraries;
    }
  }

  /** paird started by the layout's launcher with {@code javaOptions}. */
  private PairdProcess.Options inLayout(String javaOptions) {
    return PairdProcess.in(tmp.resolve("paird"))
        .launcher(prefix.resolve("bin/paird"))
        .wrapper(
            List.of(
                "env",
                // No class-data archive of an installed paird that this machine may hold.
                "PAIRD_CDS=off",
                "PAIRD_JAVA_OPTS=" + javaOptions));
  }

  /** Unpacks a jar's META-INF/native/*.so into {@code dir}, as build-packages.sh does. */
  private static boolean unpackNatives(Path jar, Path dir) throws IOException {
    boolean any = false;
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      for (ZipEntry entry : zip.stream().toList()) {
        String name = entry.getName();
        if (name.startsWith("META-INF/native/") && name.endsWith(".so")) {
          try (InputStream in = zip.getInputStream(entry)) {
            Files.copy(in, dir.resolve(name.substring(name.lastIndexOf('/') + 1)));
          }
          any = true;
        }
      }
    }
    return any;
  }
}
