/*
 * The i386 workload (tests/tests/syscalls.rs): what a 32-bit binary does,
 * through i386 glibc's own choice of calls (openat, chown32, socket,
 * clone...) and, for the calls glibc no longer makes, syscall(2) with the
 * i386 numbers (open, 16-bit chown, socketcall). Built by the test with
 * `gcc -m32 -static`.
 *
 * Usage: families32 DIR (an empty directory).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/net.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2 || chdir(argv[1]) != 0)
		return 2;

	close(open("file32", O_CREAT | O_WRONLY, 0644));
	close(syscall(SYS_open, "file32", O_RDONLY));
	syscall(SYS_open, "missing", O_RDONLY);
	chmod("file32", 0600);
	chown("file32", 0, 0);
	syscall(SYS_chown, "file32", 0, 0);
	mkdir("dir32", 0755);
	rename("dir32", "dir32b");
	rmdir("dir32b");
	unlink("file32");
	unlink("missing");

	int pair[2];
	if (pipe(pair) == 0) {
		close(pair[0]);
		close(pair[1]);
	}
	close(socket(AF_INET, SOCK_DGRAM, 0));
	unsigned long args[3] = { AF_INET, SOCK_DGRAM, 0 };
	close(syscall(SYS_socketcall, SYS_SOCKET, args));

	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	kill(child, 0);
	kill(child, SIGKILL);
	waitpid(child, 0, 0);

	/* A 32-bit exec. */
	pid_t exec = fork();
	if (exec == 0) {
		char *args[] = { "/bin/true", "from-i386", 0 };
		char *env[] = { 0 };
		execve("/bin/true", args, env);
		_exit(127);
	}
	waitpid(exec, 0, 0);
	return 0;
}
