// Command screenshots takes the pictures of the report site shown in the
// docs: the root page, a province page and a commune page of a run folder,
// at phone width (390 × 844 CSS px, screen media) and on an A4 page
// (794 × 1123 CSS px, print media), with headless Chromium.
//
//	go run ./internal/tools/screenshots -run RUN_FOLDER -province 33 -commune hung-yen-h01-x001 \
//		-prefix reform- -out docs/screenshots
//
// writes reform-root-390.png, reform-root-a4.png, reform-province-390.png,
// ... into -out. Chromium is -chromium (default $VUNGMANH_CHROMIUM or
// /usr/bin/chromium).
package main
