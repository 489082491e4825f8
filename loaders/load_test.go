package loaders

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

func TestLoadSmoke(t *testing.T) {
	fsys := mapFS(map[string]string{
		"snapshot.yaml": manifest("units: units.csv\nmembers: members.csv"),
		"units.csv":     unitsCSV,
		"members.csv":   "member_id,unit_id,joined_on,honorary,needs,special_group,phone\nm1,chi-1,2020-01-02,x,vay vốn,worker,0912\nm2,to-1,03/04/2021,,,,\n",
	})
	snap, err := load(t, fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"unit_id=tinh level=province name=Tỉnh Thái Bình active=true",
		"unit_id=xa-1 parent_id=tinh level=commune name=Xã Thái Xuyên kind=xã active=true",
		"unit_id=chi-1 parent_id=xa-1 level=branch name=Thôn Đông kind=thôn active=true",
		"unit_id=to-1 parent_id=chi-1 level=group name=Tổ 1 active=false",
	}
	if d := cmp.Diff(want, dump(snap.Table(snapshot.Units))); d != "" {
		t.Errorf("units (-want +got):\n%s", d)
	}
	wantM := []string{
		"member_id=m1 unit_id=chi-1 joined_on=2020-01-02 honorary=true needs_recorded=true special_group=worker",
		"member_id=m2 unit_id=to-1 joined_on=2021-04-03 needs_recorded=false",
	}
	if d := cmp.Diff(wantM, dump(snap.Table(snapshot.Members))); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"DQ009 members:1 phone "}, brief(snap.Findings)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	for _, tb := range snapshot.Tables() {
		rec := snap.Table(tb)
		if rec == nil || !rec.Schema().Equal(snapshot.Schema(tb)) {
			t.Errorf("table %s: schema %v", tb, rec)
		}
	}
}
