package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class SocketFileTest {
  @TempDir Path dir;

  @Test
  void probe_tellsSocketsFromOtherFiles() throws Exception {
    Path socket = dir.resolve("s.sock");
    Path file = dir.resolve("file");
    Files.writeString(file, "");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));

      assertThat(SocketFile.probe(socket).kind()).isEqualTo(SocketFile.Kind.SOCKET);
      assertThat(SocketFile.probe(socket).writable()).isTrue();
      assertThat(SocketFile.probe(socket).group()).isPresent();
    }
    assertThat(SocketFile.probe(file).kind()).isEqualTo(SocketFile.Kind.NOT_A_SOCKET);
    assertThat(SocketFile.probe(dir).kind()).isEqualTo(SocketFile.Kind.NOT_A_SOCKET);
    assertThat(SocketFile.probe(dir.resolve("none")).kind()).isEqualTo(SocketFile.Kind.MISSING);
  }

  @Test
  void probe_linkToASocket_isASocketOnlyWhenLinksAreFollowed() throws Exception {
    Path socket = dir.resolve("s.sock");
    Path link = Files.createSymbolicLink(dir.resolve("link"), socket);
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));

      assertThat(SocketFile.probe(link).kind()).isEqualTo(SocketFile.Kind.SOCKET);
      assertThat(SocketFile.probe(link, LinkOption.NOFOLLOW_LINKS).kind())
          .isEqualTo(SocketFile.Kind.NOT_A_SOCKET);
    }
  }

  @Test
  void probe_danglingLinkNotFollowed_isNotASocket() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("gone"));

    assertThat(SocketFile.probe(link).kind()).isEqualTo(SocketFile.Kind.MISSING);
    assertThat(SocketFile.probe(link, LinkOption.NOFOLLOW_LINKS).kind())
        .isEqualTo(SocketFile.Kind.NOT_A_SOCKET);
  }
}
