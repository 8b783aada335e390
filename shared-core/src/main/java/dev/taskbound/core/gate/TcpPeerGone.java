package dev.taskbound.core.gate;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Whether the client of a TCP connection this process accepted has gone: the kernel's socket tables
 * ({@code /proc/net/tcp}, {@code /proc/net/tcp6}) show our end past {@code ESTABLISHED} (the client
 * closed: {@code CLOSE_WAIT}) or no longer list it. Asked while a request waits for a person, so that
 * a hook or gate check whose caller gave up is withdrawn instead of staying listed; the HTTP server
 * offers no other way to see a client's close while its handler runs. Where the tables cannot be
 * read (not Linux), the client is never taken for gone. Stateless besides the two addresses;
 * thread-safe.
 */
final class TcpPeerGone implements BooleanSupplier {
  private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
  private static final String ESTABLISHED = "01";

  private final InetSocketAddress local;
  private final InetSocketAddress remote;
  private final List<Path> tables;

  TcpPeerGone(InetSocketAddress local, InetSocketAddress remote) {
    this(local, remote, TABLES);
  }

  TcpPeerGone(InetSocketAddress local, InetSocketAddress remote, List<Path> tables) {
    this.local = Objects.requireNonNull(local, "local");
    this.remote = Objects.requireNonNull(remote, "remote");
    this.tables = List.copyOf(tables);
  }

  @Override
  public boolean getAsBoolean() {
    boolean readAny = false;
    for (Path table : tables) {
      List<String> lines;
      try {
        lines = Files.readAllLines(table);
      } catch (IOException | RuntimeException e) {
        continue;
      }
      readAny = true;
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        Optional<String> state = stateOf(line);
        if (state.isPresent()) {
          return !state.get().equals(ESTABLISHED);
        }
      }
    }
    return readAny; // listed nowhere: closed and gone (unless nothing could be read)
  }

  /** The state of this connection if {@code line} ({@code sl local rem st ...}) is ours. */
  private Optional<String> stateOf(String line) {
    String[] f = line.trim().split("\\s+");
    if (f.length < 4) {
      return Optional.empty();
    }
    return local.equals(address(f[1])) && remote.equals(address(f[2])) ? Optional.of(f[3]) : Optional.empty();
  }

  /** {@code 0100007F:1F90} (IPv4) or 32 hex digits (IPv6), each 32-bit word in the host's byte order. */
  static InetSocketAddress address(String hexAddressAndPort) {
    int colon = hexAddressAndPort.indexOf(':');
    if (colon < 0) {
      return null;
    }
    try {
      byte[] raw = HexFormat.of().parseHex(hexAddressAndPort.substring(0, colon));
      if (raw.length != 4 && raw.length != 16) {
        return null;
      }
      if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
        for (int w = 0; w < raw.length; w += 4) {
          byte b0 = raw[w];
          byte b1 = raw[w + 1];
          raw[w] = raw[w + 3];
          raw[w + 1] = raw[w + 2];
          raw[w + 2] = b1;
          raw[w + 3] = b0;
        }
      }
      int port = Integer.parseInt(hexAddressAndPort.substring(colon + 1), 16);
      // an IPv4-mapped IPv6 address comes back as the IPv4 address, as Java reports it
      return new InetSocketAddress(InetAddress.getByAddress(raw), port);
    } catch (IllegalArgumentException | UnknownHostException e) {
      return null;
    }
  }
}
