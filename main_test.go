package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

// demoCities keeps the tests' demo small: four cities, twenty cases, enough
// for a link still to answer in each department.
const demoCities = "4"

// startServe runs `canvass serve --demo` on port 0 in dataDir and returns
// its base URL, the demo links, and a stop function that sends the
// equivalent of SIGTERM and waits for run to return.
func startServe(t *testing.T, dataDir string) (base string, links []string, stop func() error) {
	base, links, _, stop = startServeAdmin(t, dataDir)
	return base, links, stop
}

// startServeAdmin is startServe that also returns the line naming the demo
// PI's login.
func startServeAdmin(t *testing.T, dataDir string) (base string, links []string, admin string, stop func() error) {
	t.Helper()
	base, links, admin, _, stop = startDemo(t, dataDir, demoCities)
	return base, links, admin, stop
}

// startDemo runs `canvass serve --demo --demo-cities cities` and returns
// what startServeAdmin does and everything it printed before the login.
func startDemo(t *testing.T, dataDir, cities string) (base string, links []string, admin, printed string, stop func() error) {
	t.Helper()
	env := map[string]string{
		"CANVASS_ADDR":     "127.0.0.1:0",
		"CANVASS_DATA_DIR": dataDir,
		"CANVASS_SECRET":   "a-test-secret-of-at-least-32-characters",
	}
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--demo-cities", cities}, func(k string) string { return env[k] }, outW, io.Discard)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	serving := regexp.MustCompile(`serving .* on (http://\S+)`)
	var out strings.Builder
	for lines.Scan() {
		line := lines.Text()
		out.WriteString(line + "\n")
		if m := serving.FindStringSubmatch(line); m != nil {
			base = m[1]
		}
		if strings.Contains(line, "/s/") {
			links = append(links, strings.Fields(line)[0])
		}
		if strings.Contains(line, "/admin") {
			admin = line
		}
		if base != "" && len(links) == 5 && admin != "" {
			break
		}
	}
	go io.Copy(io.Discard, outR)
	if base == "" || len(links) != 5 || !strings.Contains(admin, "pi@demo.example") {
		cancel()
		t.Fatalf("serve printed base %q, %d links and admin %q; run: %v", base, len(links), admin, <-done)
	}
	waitReady(t, base)
	return base, links, admin, out.String(), func() error {
		cancel()
		return <-done
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
	}
	t.Fatal("never ready")
}

func put(t *testing.T, url, body string) int {
	t.Helper()
	req, _ := http.NewRequest("PUT", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// Answers saved before a restart are there after it, and the demo links
// stay the same, on the same data directory.
func TestServeRestartKeepsAnswers(t *testing.T) {
	dir := t.TempDir()
	base, links, stop := startServe(t, dir)
	api := func(base, link string) string {
		return base + "/api/v1/respond/" + link[strings.LastIndex(link, "/")+1:]
	}
	for i, link := range links {
		if code := put(t, api(base, link)+"/answers", fmt.Sprintf(`{"answers": {"years_in_position": %d}}`, i+1)); code != 200 {
			t.Fatalf("save %d: status %d", i, code)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	base2, links2, stop2 := startServe(t, dir)
	defer stop2()
	for i := range links {
		if tail(links[i]) != tail(links2[i]) {
			t.Errorf("demo link %d changed across restarts", i)
		}
		body := get(t, api(base2, links2[i]))
		if want := fmt.Sprintf(`"years_in_position":%d`, i+1); !strings.Contains(body, want) {
			t.Errorf("after restart, case %d: %.200s lacks %s", i, body, want)
		}
	}
}

func tail(link string) string { return link[strings.LastIndex(link, "/"):] }

// A request in flight when shutdown begins is answered, and its answer is
// stored.
func TestServeGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	base, links, stop := startServe(t, dir)
	url := base + "/api/v1/respond/" + tail(links[0])[1:] + "/answers"
	// A slow client: the body arrives after shutdown has begun.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", url, pr)
	req.Header.Set("Content-Type", "application/json")
	result := make(chan int, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- -1
			return
		}
		res.Body.Close()
		result <- res.StatusCode
	}()
	pw.Write([]byte(`{"answers": `))
	time.Sleep(100 * time.Millisecond) // the request is in the handler, reading
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(100 * time.Millisecond)
	pw.Write([]byte(`{"job_title": "In flight"}}`))
	pw.Close()
	if code := <-result; code != 200 {
		t.Fatalf("in-flight request got %d", code)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	base2, links2, stop2 := startServe(t, dir)
	defer stop2()
	if body := get(t, base2+"/api/v1/respond/"+tail(links2[0])[1:]); !strings.Contains(body, "In flight") {
		t.Errorf("the in-flight answer was lost: %.300s", body)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CANVASS_ADDR": "nonsense"}, "CANVASS_ADDR"},
		{map[string]string{"CANVASS_SECRET": "short"}, "at least 32"},
		{map[string]string{"MONGODB_URI": "http://x"}, "MONGODB_URI"},
		{map[string]string{"CANVASS_LOG_LEVEL": "loud"}, "CANVASS_LOG_LEVEL"},
		{map[string]string{"CANVASS_INSTRUMENT": "survey/instrument/testdata/unknown_scale.yaml", "CANVASS_SECRET": strings.Repeat("s", 32)}, `unknown_scale.yaml: pages[1].questions[0].scale: unknown scale "agree5"`},
	} {
		tc.env["CANVASS_DATA_DIR"] = t.TempDir()
		err := run(t.Context(), []string{"serve"}, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: error %v, want it to mention %q", tc.env, err, tc.want)
		}
	}
}

func TestUserCommand(t *testing.T) {
	env := map[string]string{"CANVASS_DATA_DIR": t.TempDir(), "CANVASS_SECRET": strings.Repeat("s", 32)}
	getenv := func(k string) string { return env[k] }
	user := func(stdin string, args ...string) (string, error) {
		var out strings.Builder
		err := userCmd(t.Context(), args, getenv, strings.NewReader(stdin), &out, io.Discard)
		return out.String(), err
	}
	if out, err := user("a long enough password\n", "add", "--email", "PI@example.org", "--role", "pi"); err != nil || !strings.Contains(out, "pi@example.org: done (pi, active)") {
		t.Fatalf("add: %q, %v", out, err)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"short\n", []string{"add", "--email", "x@example.org"}, "12 to 256 characters"},
		{"a long enough password\n", []string{"add", "--email", "not-an-email"}, "email"},
		{"a long enough password\n", []string{"add", "--email", "pi@example.org"}, "already exists"},
		{"", []string{"passwd", "--email", "pi@example.org"}, "first line of standard input"},
		{"", []string{"disable", "--email", "nobody@example.org"}, "not found"},
		{"", []string{"add"}, "--email is required"},
		{"", []string{"rename", "--email", "pi@example.org"}, "unknown action"},
	} {
		if _, err := user(tc.stdin, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("user %v: error %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
	// The command keeps the same rule as the web: never no active PI.
	if _, err := user("", "disable", "--email", "pi@example.org"); err == nil || !strings.Contains(err.Error(), "last active PI") {
		t.Errorf("disabling the only PI: %v, want it refused", err)
	}
	if _, err := user("another long password\n", "add", "--email", "pi2@example.org", "--role", "pi"); err != nil {
		t.Fatal(err)
	}
	if out, err := user("", "disable", "--email", "pi@example.org"); err != nil || !strings.Contains(out, "disabled") {
		t.Errorf("disable: %q, %v", out, err)
	}
}

// A header line of a megabyte is refused before any handler runs.
func TestServeHugeHeader(t *testing.T) {
	base, _, stop := startServe(t, t.TempDir())
	defer stop()
	req, _ := http.NewRequest("GET", base+"/healthz", nil)
	req.Header.Set("X-Huge", strings.Repeat("a", 1<<20))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", res.StatusCode)
	}
}

// The README's configuration table names every variable the service reads.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range config.Settings() {
		for _, name := range strings.Split(s.Name, " / ") {
			if !strings.Contains(string(readme), "`"+name+"`") {
				t.Errorf("README.md does not document %s", name)
			}
		}
	}
}

// --demo prints a PI login that works, the same after a restart.
func TestServeDemoPI(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		base, _, admin, stop := startServeAdmin(t, dir)
		m := regexp.MustCompile(`email (\S+), password (\S+)\)`).FindStringSubmatch(admin)
		if m == nil {
			t.Fatalf("admin line %q", admin)
		}
		res, err := http.Post(base+"/api/v1/session", "application/json", strings.NewReader(`{"email": "`+m[1]+`", "password": "`+m[2]+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("demo PI login: %d", res.StatusCode)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
}

// `canvass nightly --once` runs the analysis on the configured store and
// says how it ended; with too few cases it fails, naming why.
func TestNightlyCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CANVASS_DATA_DIR": dir, "CANVASS_SECRET": "a-test-secret-of-at-least-32-characters"}
	getenv := func(k string) string { return env[k] }
	var out strings.Builder
	err := run(context.Background(), []string{"nightly", "--once"}, getenv, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "insufficient data: 0 usable cases") {
		t.Fatalf("empty store: %v\n%s", err, out.String())
	}
	st := storetest.MustOpenDirDatabase(t, dir, "canvass")
	if err := st.InsertCases(context.Background(), "import-test", simulate.Cases(instrument.Default(), 300, .5, 2)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"nightly", "--once"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !regexp.MustCompile(`^result run-\S+: ok, 1[0-9]{2} cases used of 300`).MatchString(out.String()) {
		t.Errorf("output:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"nightly"}, getenv, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "say --once") {
		t.Errorf("without --once: %v", err)
	}
}

// The demo's first start puts a survey in the field — cases imported,
// waves sent, answers in, a nightly result — and prints links that still
// take answers; the second start simulates nothing more and prints the
// same links.
func TestServeDemoFieldPeriod(t *testing.T) {
	dir := t.TempDir()
	base, links, admin, printed, stop := startDemo(t, dir, "60")
	if !strings.Contains(printed, "simulating four weeks") || !regexp.MustCompile(`nightly result \S+: ok, \d+ cases used`).MatchString(printed) {
		t.Errorf("first start printed:\n%s", printed)
	}
	for _, link := range links {
		if body := get(t, base+"/api/v1/respond/"+link[strings.LastIndex(link, "/")+1:]); !strings.Contains(body, `"status":"new"`) && !strings.Contains(body, `"status":"started"`) {
			t.Errorf("%s does not take answers: %.200s", link, body)
		}
	}
	m := regexp.MustCompile(`email (\S+), password (\S+)\)`).FindStringSubmatch(admin)
	res, err := http.Post(base+"/api/v1/session", "application/json", strings.NewReader(`{"email": "`+m[1]+`", "password": "`+m[2]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	req, _ := http.NewRequest("GET", base+"/api/v1/results/latest", nil)
	for _, c := range res.Cookies() {
		req.AddCookie(c)
	}
	latest, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(latest.Body)
	latest.Body.Close()
	if latest.StatusCode != 200 || !strings.Contains(string(body), `"status":"ok"`) {
		t.Errorf("latest result: %d %.300s", latest.StatusCode, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	_, again, _, printed, stop := startDemo(t, dir, "60")
	defer stop()
	if strings.Contains(printed, "simulating") || strings.Join(tails(again), " ") != strings.Join(tails(links), " ") {
		t.Errorf("second start printed:\n%s\nfirst links %v", printed, links)
	}
}

func tails(links []string) []string {
	var out []string
	for _, l := range links {
		out = append(out, tail(l))
	}
	return out
}

// canvass simulate writes the three files with --out, and refuses bad
// flags before writing anything.
func TestSimulateCommand(t *testing.T) {
	dir := t.TempDir()
	getenv := func(string) string { return "" }
	var out strings.Builder
	if err := run(context.Background(), []string{"simulate", "--cities", "20", "--out", dir}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "100 cases") {
		t.Errorf("printed %q", out.String())
	}
	for _, f := range []string{simulate.FrameFile, simulate.ResponsesFile, simulate.TruthFile} {
		if _, err := os.Stat(dir + "/" + f); err != nil {
			t.Error(err)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--cities", "-1", "--out", dir + "/a"}, "--cities -1"},
		{[]string{"--response-rate", "1.2", "--out", dir + "/b"}, "--response-rate 1.2"},
		{[]string{"--instrument", dir + "/none.yaml", "--out", dir + "/c"}, "questionnaire"},
		{[]string{"--out", dir + "/d", "--into-store"}, "either --out DIR or --into-store"},
		{[]string{}, "either --out DIR or --into-store"},
		{[]string{"--start", "2031-01-01", "--into-store"}, "not within the questionnaire's"},
	} {
		err := run(context.Background(), append([]string{"simulate"}, tt.args...), func(k string) string {
			return map[string]string{"CANVASS_DATA_DIR": dir + "/store"}[k]
		}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want %q", tt.args, err, tt.want)
		}
	}
	for _, d := range []string{"a", "b", "c", "d", "store"} {
		if _, err := os.Stat(dir + "/" + d); !os.IsNotExist(err) {
			t.Errorf("%s was written", d)
		}
	}
}

// asCanvass makes the test binary run as canvass itself (TestMain), so
// that a test can start it as the drill's store and instances.
const asCanvass = "CANVASS_TEST_AS_CANVASS"

func TestMain(m *testing.M) {
	if os.Getenv(asCanvass) != "" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The fault drill, reduced: 100 respondents on the SQLite store, with
// every fault — the mailer's instance killed while it sends, the store
// stopped with SIGTERM, then with SIGKILL — and every check; make drill
// runs the full one. The wave is not waited for: its sender died, and
// another takes it over only once the lease has run out, a minute later.
func TestDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("the drill takes a minute or two")
	}
	t.Setenv(asCanvass, "1")
	var out bytes.Buffer
	err := run(context.Background(), []string{"drill", "--respondents", "100", "--pace", "30", "--wave-wait", "0s", "--stores", "sqlite"},
		os.Getenv, &out, io.Discard)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\nacknowledged writes lost: 0\n") {
		t.Error("the last line is not acknowledged writes lost: 0")
	}
}
